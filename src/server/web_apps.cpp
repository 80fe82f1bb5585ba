// GET /arena and /playground: the forms rendered here, their behaviour in web/static/arena.js and
// playground.js (they call the public /v1 routes, as any client would). Also the embedded static
// files and the HTML 404 for unknown page paths.
#include "arena/arena_service.h"
#include "server/web_data.h"
#include "server/web_html.h"

namespace pictor::server::web {

using nlohmann::json;

namespace {

// Data for the scripts, as a JSON island (not executed; the CSP allows no inline script). "</"
// cannot end the element early: json::dump escapes no slashes, so they are escaped here.
std::string json_island(const std::string& id, const json& data) {
  std::string text = data.dump();
  std::string safe;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<') safe += "\\u003c";
    else safe += text[i];
  }
  return "<script type=\"application/json\" id=\"" + id + "\">" + safe + "</script>";
}

std::string quality_options() {
  return "<option value=\"low\" selected>low (fastest)</option><option value=\"medium\">medium</option>"
         "<option value=\"high\">high</option><option value=\"auto\">auto</option>";
}

void arena_page(ServerContext& ctx, const httplib::Request&, httplib::Response& res) {
  const SiteData site = site_data(ctx);
  int editors = 0;
  for (const auto& e : ctx.arena->entries()) editors += e.edits;
  Page p;
  p.title = "Arena";
  p.nav = "arena";
  p.description = "Blind battles between image models: pick the best image, then see who drew it.";
  p.scripts = {"arena.js"};
  std::string h =
      "<h1>Arena</h1><p class=\"lead\">One prompt, 2–4 anonymous images. Pick the best (or rank them); the models' names "
      "and their new scores appear only after your vote.</p>"
      "<form class=\"panel\" id=\"battle-form\" data-editors=\"" + std::to_string(editors) + "\">"
      "<fieldset class=\"modes\"><legend>Arena</legend>"
      "<label><input type=\"radio\" name=\"arena\" value=\"text-to-image\" checked> Text to image</label>"
      "<label><input type=\"radio\" name=\"arena\" value=\"image-edit\"> Image edit</label></fieldset>"
      "<label for=\"battle-prompt\">Prompt <span class=\"muted\">(leave empty for one drawn from the built-in set)</span></label>"
      "<textarea id=\"battle-prompt\" name=\"prompt\" rows=\"2\" maxlength=\"2000\" placeholder=\"three yellow triangles on a green background\"></textarea>"
      "<div class=\"edit-only\" hidden><label for=\"battle-image\">Image to edit <span class=\"muted\">(optional: without one, "
      "a scene is drawn for you)</span></label><input id=\"battle-image\" name=\"image\" type=\"file\" accept=\"image/png,image/jpeg,image/webp\"></div>"
      "<label for=\"battle-n\">Images</label><select id=\"battle-n\" name=\"contestants\"><option value=\"2\" selected>2</option>"
      "<option value=\"3\">3</option><option value=\"4\">4</option></select>"
      "<p><button type=\"submit\">Start a battle</button> <span class=\"status\" id=\"battle-status\" role=\"status\" aria-live=\"polite\"></span></p>"
      "</form>"
      "<section id=\"battle\" hidden aria-labelledby=\"battle-h\"><h2 id=\"battle-h\">Which image fits the prompt best?</h2>"
      "<p class=\"prompt-shown\"><q id=\"battle-prompt-text\"></q> <span class=\"muted small\" id=\"battle-axes\"></span></p>"
      "<figure id=\"battle-input\" hidden><img alt=\"The image to edit\" width=\"192\" height=\"192\"><figcaption>Input image</figcaption></figure>"
      "<progress id=\"battle-progress\" max=\"1\" value=\"0\"></progress>"
      "<ol class=\"slots\" id=\"slots\"></ol>"
      "<div class=\"vote-bar\" id=\"vote-bar\" hidden><button type=\"button\" data-vote=\"tie\" class=\"ghost\">Tie</button>"
      "<button type=\"button\" data-vote=\"both_bad\" class=\"ghost\">All bad</button>"
      "<button type=\"button\" id=\"rank-submit\" hidden>Submit ranking</button></div>"
      "<div id=\"reveal\" hidden><h2>The models</h2><ol class=\"reveal\" id=\"reveal-list\"></ol>"
      "<p class=\"muted\" id=\"reveal-note\"></p><p><button type=\"button\" id=\"next-battle\">Next battle</button> "
      "<a href=\"/leaderboard\">Leaderboard</a></p></div></section>";
  if (site.models.empty()) h += "<p class=\"empty\">This server offers no model, so the arena has no contestants.</p>";
  p.body = h;
  send_page(res, p);
}

void playground_page(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const SiteData site = site_data(ctx);
  json models = json::array();
  for (const auto& m : site.models) {
    const json caps = m.catalog.value("capabilities", json::object());
    models.push_back({{"id", m.id},
                      {"name", m.name},
                      {"edits", m.edits},
                      {"mask", m.mask},
                      {"sizes", m.sizes},
                      {"qualities", m.qualities},
                      {"output_formats", caps.value("output_formats", json::array())},
                      {"max_n", caps.value("max_n", 1)},
                      {"price", m.price}});
  }
  const json config = {{"models", models}, {"no_auth", ctx.auth->no_auth()}, {"base_url", base_url(req)}};
  Page p;
  p.title = "Playground";
  p.nav = "playground";
  p.description = "Generate and edit images with this server's models, see the request and response, and manage API keys.";
  p.scripts = {"playground.js"};
  std::string opts;
  for (const auto& m : site.models) opts += "<option value=\"" + esc(m.id) + "\">" + esc(m.name) + "</option>";
  p.body = json_island("playground-config", config) +
           "<h1>Playground</h1><p class=\"lead\">Generate or edit images with the models served here. Every run is a real "
           "request to this server's API; the code for it is below the result.</p>"
           "<section class=\"panel\" id=\"keys\" aria-labelledby=\"keys-h\"><h2 id=\"keys-h\">API key</h2>"
           "<p class=\"muted\">Paste a key to use: it is kept only in this browser tab's session storage and sent only to this server.</p>"
           "<div class=\"row\"><label for=\"api-key\" class=\"sr-only\">API key</label><input id=\"api-key\" type=\"password\" "
           "autocomplete=\"off\" placeholder=\"pk-…\" data-key-input><button type=\"button\" id=\"key-forget\" class=\"ghost\">Forget</button></div>"
           "<p class=\"status\" id=\"key-status\" role=\"status\" aria-live=\"polite\"></p>"
           "<div id=\"key-admin\" hidden><h3>Manage keys <span class=\"muted small\">(admin)</span></h3>"
           "<form id=\"key-create\" class=\"row\"><label for=\"key-name\">Name</label><input id=\"key-name\" name=\"name\" required maxlength=\"64\">"
           "<label><input type=\"checkbox\" name=\"admin\"> admin</label><button type=\"submit\">Create key</button></form>"
           "<div id=\"key-new\" class=\"callout\" hidden><p>New key <strong id=\"key-new-name\"></strong>: copy it now, it is shown only once.</p>"
           "<p class=\"row\"><code id=\"key-new-value\"></code> <button type=\"button\" class=\"ghost small\" id=\"key-new-copy\">Copy</button>"
           " <button type=\"button\" class=\"ghost small\" id=\"key-new-use\">Use it here</button></p></div>"
           "<div class=\"table-scroll\" tabindex=\"0\"><table id=\"key-table\"><caption class=\"sr-only\">API keys</caption><thead><tr><th scope=\"col\">Name</th>"
           "<th scope=\"col\">Prefix</th><th scope=\"col\">Created</th><th scope=\"col\">Status</th><th scope=\"col\">Scope</th>"
           "<th scope=\"col\"><span class=\"sr-only\">Actions</span></th></tr></thead><tbody></tbody></table></div></div></section>"
           "<form class=\"panel\" id=\"gen-form\"><h2>Request</h2><div class=\"grid\">"
           "<div class=\"wide\"><label for=\"gen-prompt\">Prompt</label><textarea id=\"gen-prompt\" name=\"prompt\" rows=\"3\" required maxlength=\"32000\">"
           "two red circles above a blue square</textarea></div>"
           "<div><label for=\"gen-model\">Model</label><select id=\"gen-model\" name=\"model\">" + opts + "</select></div>"
           "<div><label for=\"gen-quality\">Quality</label><select id=\"gen-quality\" name=\"quality\">" + quality_options() + "</select></div>"
           "<div><label for=\"gen-size\">Size</label><select id=\"gen-size\" name=\"size\"></select></div>"
           "<div><label for=\"gen-format\">Format</label><select id=\"gen-format\" name=\"output_format\"></select></div>"
           "<div><label for=\"gen-n\">Images (n)</label><input id=\"gen-n\" name=\"n\" type=\"number\" min=\"1\" max=\"10\" value=\"1\"></div>"
           "<div><label for=\"gen-seed\">Seed <span class=\"muted\">(optional)</span></label><input id=\"gen-seed\" name=\"seed\" type=\"number\" min=\"0\" step=\"1\"></div>"
           "</div><div class=\"edit-box\" id=\"edit-box\"><label for=\"gen-image\">Input image <span class=\"muted\">(optional: edit it)</span></label>"
           "<input id=\"gen-image\" type=\"file\" accept=\"image/png,image/jpeg,image/webp\">"
           "<div id=\"mask-tools\" hidden><p class=\"muted\">Paint over the area to change (the mask's transparent pixels), or leave it "
           "unpainted to edit the whole image.</p><div class=\"row\"><label for=\"brush\">Brush</label>"
           "<input id=\"brush\" type=\"range\" min=\"2\" max=\"64\" value=\"16\"><button type=\"button\" class=\"ghost small\" id=\"mask-clear\">Clear mask</button>"
           "<button type=\"button\" class=\"ghost small\" id=\"image-remove\">Remove image</button></div>"
           "<canvas id=\"mask-canvas\" aria-label=\"Input image: drag to paint the area to change\" tabindex=\"0\"></canvas></div></div>"
           "<p><button type=\"submit\" id=\"gen-run\">Generate</button> <button type=\"button\" class=\"ghost\" id=\"gen-cancel\" hidden>Cancel</button> "
           "<span class=\"status\" id=\"gen-status\" role=\"status\" aria-live=\"polite\"></span></p>"
           "<progress id=\"gen-progress\" max=\"1\" value=\"0\" hidden></progress></form>"
           "<section class=\"panel\" id=\"result\" hidden aria-labelledby=\"result-h\"><h2 id=\"result-h\">Result</h2>"
           "<ul class=\"gallery\" id=\"result-images\"></ul><dl class=\"facts\" id=\"result-usage\"></dl>"
           "<details open><summary>JSON response</summary><pre tabindex=\"0\"><code id=\"result-json\"></code></pre></details></section>"
           "<section class=\"panel\" aria-labelledby=\"code-h\"><h2 id=\"code-h\">The same request in code</h2>"
           "<div class=\"tabs\" role=\"tablist\" aria-label=\"Language\"><button type=\"button\" role=\"tab\" data-lang=\"curl\" aria-selected=\"true\">curl</button>"
           "<button type=\"button\" role=\"tab\" data-lang=\"python\" aria-selected=\"false\" tabindex=\"-1\">Python</button>"
           "<button type=\"button\" role=\"tab\" data-lang=\"js\" aria-selected=\"false\" tabindex=\"-1\">JavaScript</button></div>"
           "<pre tabindex=\"0\"><code id=\"code-out\"></code></pre></section>";
  send_page(res, p);
}

}  // namespace

void register_app_pages(httplib::Server& svr, ServerContext& ctx) {
  register_static_routes(svr);
  add_route(svr, ctx, "GET", "/arena", "/arena", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { arena_page(ctx, req, res); });
  add_route(svr, ctx, "GET", "/playground", "/playground", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { playground_page(ctx, req, res); });
}

}  // namespace pictor::server::web
