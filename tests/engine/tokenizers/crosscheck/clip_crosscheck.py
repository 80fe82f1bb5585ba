"""Random-string cross-check of pictor's CLIP tokenizer against the Python reference pieces.

Compares, for random strings heavy in combining marks, Hangul, Greek sigma, odd spaces, apostrophes
and rare planes: NFC (unicodedata), str.lower, whitespace_clean (regex \\s), and, where pictor's
ftfy port leaves the string unchanged, the full token list against a Python re-implementation of
the reference pipeline (added-token split, regex pre-tokeniser, byte-level BPE). ftfy itself is not
installed here, so its parity is covered by the golden vectors and documented examples instead.

Needs the `regex` module the reference used (2022.10.31: Debian python3-regex 0.1.20221031), e.g.
  apt-get download python3-regex && dpkg-deb -x python3-regex_*.deb /tmp/regex2022
Build the driver from the repository root, then run:
  g++ -std=c++20 -O2 -Isrc tests/engine/tokenizers/crosscheck/crosscheck_driver.cpp \\
      src/engine/tokenizers/clip_*.cpp src/core/status.cpp -o /tmp/clip_crosscheck
  PYTHONPATH=/tmp/regex2022/usr/lib/python3/dist-packages \\
      python3 tests/engine/tokenizers/crosscheck/clip_crosscheck.py /tmp/clip_crosscheck SEED COUNT
"""
import json, os, random, subprocess, sys, unicodedata
import regex as re
DRIVER = sys.argv[1]
random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
D = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../../fixtures/sd-tiny-A/tokenizer/')
assert re.__version__ == '2.5.123', 'run with regex 2022.10.31 (2.5.123), found ' + re.__version__
vocab=json.load(open(D+'vocab.json'))
merges=open(D+'merges.txt',encoding='utf-8').read().strip().split('\n')[1:49152-256-2+1]
ranks={tuple(m.split()):i for i,m in enumerate(merges)}
def b2u():
    bs=list(range(ord('!'),ord('~')+1))+list(range(ord('¡'),ord('¬')+1))+list(range(ord('®'),ord('ÿ')+1))
    cs=bs[:]; n=0
    for b in range(256):
        if b not in bs: bs.append(b); cs.append(256+n); n+=1
    return {b:chr(c) for b,c in zip(bs,cs)}
BE=b2u()
pat=re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE)
cache={'<|startoftext|>':'<|startoftext|>','<|endoftext|>':'<|endoftext|>'}
def get_pairs(w): return set(zip(w,w[1:]))
def bpe(token):
    if token in cache: return cache[token]
    word=tuple(token[:-1])+(token[-1]+'</w>',)
    pairs=get_pairs(word)
    if not pairs: return token+'</w>'
    while True:
        bigram=min(pairs,key=lambda p: ranks.get(p,float('inf')))
        if bigram not in ranks: break
        first,second=bigram; new=[]; i=0
        while i<len(word):
            try: j=word.index(first,i)
            except ValueError: new.extend(word[i:]); break
            else: new.extend(word[i:j]); i=j
            if word[i]==first and i<len(word)-1 and word[i+1]==second: new.append(first+second); i+=2
            else: new.append(word[i]); i+=1
        word=tuple(new)
        if len(word)==1: break
        pairs=get_pairs(word)
    r=' '.join(word); cache[token]=r; return r
def ws_clean(t): return re.sub(r'\s+',' ',t).strip()
def ref_tokens(text):
    # split on added tokens '!', specials (no ftfy: caller checks the C++ fix_text was a no-op)
    parts=re.split(r'(!|<\|startoftext\|>|<\|endoftext\|>)', text)
    out=['<|startoftext|>']
    for p in parts:
        if not p: continue
        if p in ('!','<|startoftext|>','<|endoftext|>'): out.append(p); continue
        t=ws_clean(p).lower()
        for tok in pat.findall(t):
            tok=''.join(BE[b] for b in tok.encode('utf-8'))
            out.extend(bpe(tok).split(' '))
    out.append('<|endoftext|>')
    return out
def rand_cp():
    r=random.random()
    if r<0.3: return chr(random.randint(0x20,0x7e))
    if r<0.4: return random.choice(' \t\n\u00a0\u2003\u3000\u200b\u0085\x1c')
    if r<0.55: return chr(random.choice([random.randint(0x300,0x36f), random.randint(0x591,0x5c7), random.randint(0x900,0x97f), 0x345, 0x301, 0x308, 0x323, 0x328]))
    if r<0.6: return chr(random.choice([0x3a3,0x3a3,0x391,0x3b1,0x2e,0x27,0x130,0x17f,0x212a,0x1e9e,0xdf]))
    if r<0.65: return chr(random.choice([random.randint(0x1100,0x11ff), random.randint(0xac00,0xd7a3)]))
    if r<0.75: return chr(random.randint(0x80,0x52f))
    while True:
        c=random.randint(0x80,0x2ffff) if random.random()<0.8 else random.randint(0x80,0x10ffff)
        if 0xd800<=c<=0xdfff: continue
        return chr(c)
def rand_str():
    n=random.randint(0,30); s=''.join(rand_cp() for _ in range(n))
    if random.random()<0.3: s+=random.choice(["'s","'ſ","'ll","<|endoftext|>","<|ſtartoftext|>","ΑΣ","ΣΑ","ΑΣ.", "a'Σ"])+ ''.join(rand_cp() for _ in range(3))
    return s
N=int(sys.argv[3]) if len(sys.argv)>3 else 3000
strs=[rand_str() for _ in range(N)]
res=json.loads(subprocess.run([DRIVER, D],input=json.dumps(strs),capture_output=True,text=True,check=True).stdout)
bad={'nfc':0,'lower':0,'ws':0,'tokens':0}; compared=0
for s,r in zip(strs,res):
    if r['nfc']!=unicodedata.normalize('NFC',s): bad['nfc']+=1; print('NFC', ascii(s), ascii(r['nfc'])) if bad['nfc']<4 else 0
    if r['lower']!=s.lower(): bad['lower']+=1; print('LOWER', ascii(s)) if bad['lower']<4 else 0
    if r['ws']!=ws_clean(s): bad['ws']+=1; print('WS', ascii(s)) if bad['ws']<4 else 0
    if r['fix_same']:
        compared+=1
        if r['tokens']!=ref_tokens(s): bad['tokens']+=1; print('TOK', ascii(s), r['tokens'], ref_tokens(s)) if bad['tokens']<4 else 0
print('strings', N, 'token-compared', compared, 'mismatches', bad)
