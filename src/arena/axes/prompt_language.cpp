// Language detection (see prompt_language.h and docs/arena-axes.md).
//
// Order: (1) the script decides where it names one language (kana → ja, Hangul → ko, Han → zh,
// Greek → el, Hebrew → he, Thai → th) and gives the default for scripts that several languages
// share (Cyrillic → ru, Arabic → ar, Devanagari → hi), which CLD2 may refine when it is reliable;
// (2) Latin script: CLD2's answer and a vote of function words and letters with diacritics. CLD2 on
// 4–12 words often says "reliable" for the wrong language (Spanish as Kurdish, Russian as
// Bulgarian), so a clear vote overrides it.
#include "arena/axes/prompt_language.h"

#include <cld2/public/compact_lang_det.h>

#include <algorithm>
#include <cstdio>  // compact_lang_det.h uses FILE without including it
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "arena/axes/text_fold.h"

namespace pictor::arena {
namespace {

struct CldResult {
  std::string code;  // ISO 639-1, or "" for unknown
  bool reliable = false;
  int percent = 0;
};

// CLD2 codes are mostly ISO 639-1; a few are older or regional.
std::string normalize_code(std::string code) {
  if (const auto dash = code.find('-'); dash != std::string::npos) code.resize(dash);
  if (code == "un" || code == "xx" || code.empty()) return "";
  if (code == "iw") return "he";
  if (code == "in") return "id";
  if (code == "jw") return "jv";
  if (code == "zhT") return "zh";
  return code;
}

CldResult run_cld2(std::string_view text) {
  CLD2::Language lang3[3];
  int percent3[3];
  int text_bytes = 0;
  bool reliable = false;
  const CLD2::Language lang = CLD2::ExtDetectLanguageSummary(
      text.data(), static_cast<int>(text.size()), /*is_plain_text=*/true, lang3, percent3,
      &text_bytes, &reliable);
  CldResult r;
  r.code = normalize_code(CLD2::LanguageCode(lang));
  r.reliable = reliable && !r.code.empty();
  r.percent = percent3[0];
  return r;
}

// Function words and frequent prompt words (folded: no diacritics) of the Latin-script languages
// the vote knows. A word listed for k languages gives each of them 1/k.
const std::map<std::string, const char*>& vote_words() {
  static const std::map<std::string, const char*> kWords = {
      {"en",
       "the a an of with and in on at is are by from under over next to behind front his her its "
       "this that wearing sitting standing holding made into very through near some two three four "
       "small large big little old young beautiful cute red blue green yellow white black purple "
       "pink brown grey gray orange circle square triangle star heart cat dog man woman girl boy "
       "photo picture image painting portrait drawing style night sky forest mountain city street "
       "make turn remove add move change background left right top bottom"},
      {"fr",
       "le la les un une des du de et avec sur dans au aux sous est qui en pour ses son sa par d l "
       "qu ce cette ces tres petit petite grand grande rouge jaune vert verte bleu bleue noir "
       "noire "
       "blanc blanche gris grise chat chien femme homme fille garcon devant derriere entre pres "
       "foret montagne ciel nuit peinture fond rends ajoute enleve supprime deplace mets carre "
       "cercle etoile coeur gauche droite haut bas"},
      {"de",
       "der die das ein eine einen einem einer eines und mit auf im in am vor neben unter uber zum "
       "zur von ist den dem des sich aus bei kleine kleiner kleines kleinen grosse grosser grosses "
       "grossen rot rote roter roten rotes gelb gelbe gelben grun grune grunen blau blaue blauen "
       "blauer schwarz schwarze schwarzen weiss weisse weissen katze hund frau mann madchen wald "
       "berg himmel nacht stil hintergrund mach mache fuge entferne verschiebe kreis quadrat "
       "dreieck stern herz links rechts oben unten"},
      {"es",
       "el la los las un una unos unas y con en sobre del de al que por para bajo junto entre muy "
       "pequeno pequena grande rojo roja amarillo amarilla verde azul negro negra blanco blanca "
       "gato perro mujer hombre nina nino bosque montana cielo noche estilo fondo haz pon anade "
       "quita elimina mueve cuadrado circulo estrella corazon izquierda derecha arriba abajo "
       "caballo "
       "playa ciudad calle luna sol noche"},
      {"it",
       "il lo la i gli le un una uno e con su sul sulla sui nel nella di del della dei delle che "
       "per "
       "tra fra sotto accanto piccolo piccola grande rosso rossa giallo gialla verde blu nero nera "
       "bianco bianca gatto cane donna uomo ragazza bosco montagna cielo notte stile sfondo rendi "
       "aggiungi rimuovi togli sposta quadrato cerchio stella cuore sinistra destra alto basso in "
       "nella antico antica vecchio vecchia medievale tramonto"},
      {"pt",
       "o a os as um uma uns umas e com em no na nos nas sobre do da dos das de que por para ao "
       "pequeno pequena grande vermelho vermelha amarelo amarela verde azul preto preta branco "
       "branca gato cachorro mulher homem menina floresta montanha ceu noite estilo fundo deixe "
       "adicione remova mova quadrado circulo estrela coracao esquerda direita cima baixo"},
      {"nl",
       "de het een en met op in onder naast van voor bij aan is die dat achter boven tussen klein "
       "kleine groot grote rood rode geel gele groen groene blauw blauwe zwart zwarte wit witte "
       "kat "
       "hond vrouw man meisje bos berg lucht nacht stijl achtergrond maak voeg verwijder verplaats "
       "cirkel vierkant driehoek ster hart links rechts"},
      {"tr",
       "bir ve ile bu icinde ustunde altinda yaninda onunde olan cok kucuk buyuk kirmizi sari "
       "yesil mavi siyah beyaz kedi kopek kadin adam kiz orman dag gokyuzu gece tarzi tarzinda "
       "arka plan ekle kaldir tasi daire kare ucgen yildiz kalp sol sag"},
      {"pl",
       "i w na z ze pod obok przy jest nad oraz maly mala male duzy duza duze czerwony czerwona "
       "czerwone zolty zolta zielony zielona niebieski niebieska czarny czarna bialy biala kot "
       "pies "
       "kobieta mezczyzna dziewczyna las gora niebo noc stylu tlo dodaj usun przesun kolo kwadrat "
       "trojkat gwiazda serce lewo prawo dwa dwie trzy cztery koty psy stary stara"},
  };
  return kWords;
}

const std::unordered_map<std::string, std::vector<std::string>>& word_languages() {
  static const auto kIndex = [] {
    std::unordered_map<std::string, std::vector<std::string>> index;
    for (const auto& [lang, words] : vote_words())
      for (const std::string& w : split_words(std::string(" ") + words + " "))
        index[w].push_back(lang);
    return index;
  }();
  return kIndex;
}

// Letters with diacritics that point to a few languages (weight per occurrence).
void vote_letters(std::string_view text, std::map<std::string, double>& votes) {
  struct Hint {
    char32_t cp;
    const char* langs;
    double weight;
  };
  static const Hint kHints[] = {
      {U'ß', "de", 2},       {U'ä', "de", 1},          {U'ö', "de tr", 1},    {U'ü', "de tr", 1},
      {U'ñ', "es", 2},       {U'ã', "pt", 2},          {U'õ', "pt", 2},       {U'ç', "fr pt tr", 1},
      {U'ğ', "tr", 2},       {U'ş', "tr", 2},          {U'ı', "tr", 2},       {U'İ', "tr", 2},
      {U'ł', "pl", 2},       {U'ą', "pl", 2},          {U'ę', "pl", 2},       {U'ś', "pl", 2},
      {U'ź', "pl", 2},       {U'ż', "pl", 2},          {U'ń', "pl", 2},       {U'ć', "pl", 2},
      {U'ò', "it", 1},       {U'ì', "it", 1},          {U'è', "fr it", 1},    {U'à', "fr it pt", 1},
      {U'ê', "fr pt", 1},    {U'ô', "fr pt", 1},       {U'â', "fr pt tr", 1}, {U'ù', "fr", 1},
      {U'û', "fr", 1},       {U'î', "fr", 1},          {U'œ', "fr", 2},       {U'ë', "fr nl", 1},
      {U'ï', "fr nl", 1},    {U'é', "fr es pt it", 1}, {U'á', "es pt", 1},    {U'í', "es pt", 1},
      {U'ó', "es pt pl", 1}, {U'ú', "es pt", 1},
  };
  std::size_t i = 0;
  while (i < text.size()) {
    char32_t cp = next_code_point(text, i);
    if (cp >= U'À' && cp <= U'Þ' && cp != U'×') cp += 0x20;
    for (const Hint& h : kHints) {
      if (h.cp != cp) continue;
      const auto langs = split_words(std::string(" ") + h.langs + " ");
      for (const auto& l : langs) votes[l] += h.weight / static_cast<double>(langs.size());
    }
  }
}

// Word endings typical of a few languages (folded), half a vote each: "-cion" is Spanish,
// "-zione" Italian, "-ung" German.
void vote_suffixes(const std::string& w, std::map<std::string, double>& votes) {
  static const std::pair<const char*, const char*> kSuffixes[] = {
      {"cion", "es"},  {"ciones", "es"}, {"iendo", "es"}, {"ando", "es it pt"}, {"endo", "it pt"},
      {"zione", "it"}, {"zioni", "it"},  {"etto", "it"},  {"etta", "it"},       {"cao", "pt"},
      {"coes", "pt"},  {"inho", "pt"},   {"inha", "pt"},  {"eau", "fr"},        {"eaux", "fr"},
      {"aux", "fr"},   {"ung", "de"},    {"heit", "de"},  {"keit", "de"},       {"chen", "de"},
      {"lijk", "nl"},  {"tje", "nl"},    {"ing", "en"},   {"ly", "en"}};
  for (const auto& [suffix, langs] : kSuffixes) {
    const std::string_view sv(suffix);
    if (w.size() <= sv.size() + 2 || w.compare(w.size() - sv.size(), sv.size(), sv) != 0) continue;
    const auto list = split_words(std::string(" ") + langs + " ");
    for (const auto& l : list) votes[l] += 0.5 / static_cast<double>(list.size());
  }
}

std::map<std::string, double> vote_latin(std::string_view text) {
  std::map<std::string, double> votes;
  const auto& index = word_languages();
  for (const std::string& w : split_words(fold_text(text))) {
    vote_suffixes(w, votes);
    const auto it = index.find(w);
    if (it == index.end()) continue;
    for (const auto& l : it->second) votes[l] += 1.0 / static_cast<double>(it->second.size());
  }
  vote_letters(text, votes);
  return votes;
}

// Smaller Latin-script languages and the big voted languages they are confused with.
bool is_neighbour(const std::string& small, const std::string& big) {
  static const std::map<std::string, std::vector<std::string>> kNeighbours = {
      {"ca", {"es", "fr"}}, {"gl", {"es", "pt"}}, {"oc", {"fr", "es"}}, {"ht", {"fr"}},
      {"lb", {"de"}},       {"af", {"nl"}},       {"fy", {"nl"}},       {"la", {"it", "es"}},
      {"co", {"it", "fr"}}, {"eu", {"es"}},       {"az", {"tr"}},       {"cs", {"pl"}},
      {"sk", {"pl"}}};
  const auto it = kNeighbours.find(small);
  return it != kNeighbours.end() &&
         std::find(it->second.begin(), it->second.end(), big) != it->second.end();
}

std::string from_latin(std::string_view text, const CldResult& cld) {
  const auto votes = vote_latin(text);
  // The leader; a tie goes to the language more common in image prompts ("a baby elephant":
  // "a" is English and Portuguese).
  static const std::string kPrior[] = {"en", "es", "fr", "de", "pt", "it", "nl", "pl", "tr"};
  auto rank = [](const std::string& lang) {
    return std::find(std::begin(kPrior), std::end(kPrior), lang) - std::begin(kPrior);
  };
  std::vector<std::pair<std::string, double>> ranked(votes.begin(), votes.end());
  std::sort(ranked.begin(), ranked.end(), [&](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : rank(x.first) < rank(y.first);
  });
  const std::string best = ranked.empty() ? "" : ranked[0].first;
  const double b = ranked.empty() ? 0.0 : ranked[0].second;
  const double second = ranked.size() < 2 ? 0.0 : ranked[1].second;
  if (cld.reliable) {
    const auto cld_vote = votes.find(cld.code);
    const bool voted_language = vote_words().count(cld.code) > 0;
    const double cv = cld_vote == votes.end() ? 0.0 : cld_vote->second;
    // A clear vote for another language overrides CLD2's "reliable" guess on short text.
    if (voted_language && best != cld.code && b >= cv + 1.5) return best;
    if (!voted_language) {
      // CLD2 names a smaller neighbour of a voted language (Galician or Catalan for a short
      // Spanish prompt): a vote lead for the neighbour's big language wins. Any other language
      // (Haitian for a short Polish prompt) yields only to a clear vote.
      const int close = CLD2::LanguageCloseSet(CLD2::GetLanguageFromName(cld.code.c_str()));
      const bool neighbour =
          (close != 0 &&
           close == CLD2::LanguageCloseSet(CLD2::GetLanguageFromName(best.c_str()))) ||
          is_neighbour(cld.code, best);
      if (neighbour && b >= 0.75 && b >= second) return best;
      if (b >= 1.5 && b >= 2 * second) return best;
    }
    return cld.code;
  }
  if (b >= 0.5) return best;
  if (!cld.code.empty()) return cld.code;
  return "und";
}

}  // namespace

std::string detect_language(std::string_view prompt) {
  const ScriptCounts scripts = count_scripts(prompt);
  if (scripts.letters == 0) return "und";
  // Japanese mixes kana with Han; any kana at all means Japanese. Hangul likewise means Korean.
  if (scripts.of(Script::kKana) > 0) return "ja";
  const Script dominant = scripts.dominant();
  if (scripts.of(Script::kHangul) > 0 && dominant != Script::kLatin) return "ko";
  switch (dominant) {
    case Script::kHan:
      return "zh";
    case Script::kHangul:
      return "ko";
    case Script::kGreek:
      return "el";
    case Script::kHebrew:
      return "he";
    case Script::kThai:
      return "th";
    default:
      break;
  }
  const CldResult cld = run_cld2(prompt);
  auto refine = [&](std::string fallback, std::initializer_list<const char*> allowed) {
    if (!cld.reliable) return fallback;
    for (const char* a : allowed)
      if (cld.code == a) return cld.code;
    return fallback;
  };
  switch (dominant) {
    case Script::kCyrillic: {
      // Ukrainian letters decide; ы э ё exist in Russian and not in Bulgarian or Ukrainian. CLD2
      // calls short Russian prompts Bulgarian, so it refines only texts without Russian letters.
      for (const char* uk : {"і", "ї", "є", "ґ"})
        if (std::string(prompt).find(uk) != std::string::npos) return "uk";
      for (const char* ru : {"ы", "э", "ё", "Ы", "Э", "Ё"})
        if (std::string(prompt).find(ru) != std::string::npos) return "ru";
      if (cld.reliable && cld.percent >= 90 && prompt.size() >= 80)
        return refine("ru", {"bg", "sr", "mk", "be", "kk", "ky", "mn", "tg", "uk"});
      return "ru";
    }
    case Script::kArabic: {
      // Letters Persian and Urdu have and Arabic has not: پ چ ژ گ ک ی.
      for (const char* fa : {"پ", "چ", "ژ", "گ"})
        if (std::string(prompt).find(fa) != std::string::npos)
          return refine("fa", {"fa", "ur", "ps", "ku"});
      return refine("ar", {"ar", "fa", "ur", "ps"});
    }
    case Script::kDevanagari:
      return refine("hi", {"hi", "mr", "ne"});
    case Script::kLatin:
      return from_latin(prompt, cld);
    default:
      return cld.reliable ? cld.code : "und";
  }
}

std::string language_name(std::string_view code) {
  static const std::unordered_map<std::string, const char*> kNames = {
      {"und", "Undetermined"}, {"en", "English"},   {"fr", "French"},      {"de", "German"},
      {"es", "Spanish"},       {"it", "Italian"},   {"pt", "Portuguese"},  {"nl", "Dutch"},
      {"ru", "Russian"},       {"uk", "Ukrainian"}, {"bg", "Bulgarian"},   {"ja", "Japanese"},
      {"zh", "Chinese"},       {"ko", "Korean"},    {"ar", "Arabic"},      {"fa", "Persian"},
      {"ur", "Urdu"},          {"hi", "Hindi"},     {"mr", "Marathi"},     {"ne", "Nepali"},
      {"tr", "Turkish"},       {"pl", "Polish"},    {"cs", "Czech"},       {"sk", "Slovak"},
      {"sv", "Swedish"},       {"da", "Danish"},    {"no", "Norwegian"},   {"fi", "Finnish"},
      {"el", "Greek"},         {"he", "Hebrew"},    {"th", "Thai"},        {"vi", "Vietnamese"},
      {"id", "Indonesian"},    {"ms", "Malay"},     {"ro", "Romanian"},    {"hu", "Hungarian"},
      {"ca", "Catalan"},       {"hr", "Croatian"},  {"sr", "Serbian"},     {"sl", "Slovenian"},
      {"lt", "Lithuanian"},    {"lv", "Latvian"},   {"et", "Estonian"},    {"tl", "Tagalog"},
      {"bn", "Bengali"},       {"ta", "Tamil"},     {"te", "Telugu"},      {"sw", "Swahili"},
      {"af", "Afrikaans"},     {"ga", "Irish"},     {"cy", "Welsh"},       {"eu", "Basque"},
      {"gl", "Galician"},      {"is", "Icelandic"}, {"ku", "Kurdish"},     {"be", "Belarusian"},
      {"mk", "Macedonian"},    {"kk", "Kazakh"},    {"az", "Azerbaijani"}, {"ka", "Georgian"},
      {"hy", "Armenian"},      {"la", "Latin"},     {"eo", "Esperanto"},   {"jv", "Javanese"},
  };
  const auto it = kNames.find(std::string(code));
  if (it != kNames.end()) return it->second;
  // CLD2 knows more languages by code; its names are upper case ("ZULU").
  const CLD2::Language lang = CLD2::GetLanguageFromName(std::string(code).c_str());
  if (lang != CLD2::UNKNOWN_LANGUAGE) {
    std::string name = CLD2::LanguageName(lang);
    for (std::size_t i = 1; i < name.size(); ++i)
      if (name[i] >= 'A' && name[i] <= 'Z' && name[i - 1] != ' ')
        name[i] = char(name[i] - 'A' + 'a');
    return name;
  }
  return std::string(code);
}

}  // namespace pictor::arena
