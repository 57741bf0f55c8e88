//! mclisten's JSON lines (-j) read back: a small strict parser (no crates
//! here), checked line by line against Python's json module, and the lookups
//! the tool tests make in them (the packets, the flow summaries, the total).

use std::process::Command;

use super::process::*;

/// A JSON value; objects keep their keys in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && b" \t\r\n".contains(&self.s[self.i]) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected {:?} at {}", c as char, self.i))
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let c = *self.s.get(self.i).ok_or("unterminated string")?;
            self.i += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let e = *self.s.get(self.i).ok_or("bad escape")?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e as char),
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'u' => {
                            let h = std::str::from_utf8(&self.s[self.i..self.i + 4])
                                .map_err(|e| e.to_string())?;
                            let v = u32::from_str_radix(h, 16).map_err(|e| e.to_string())?;
                            out.push(char::from_u32(v).ok_or("bad \\u")?);
                            self.i += 4;
                        }
                        _ => return Err(format!("bad escape \\{}", e as char)),
                    }
                }
                c if c < 0x20 => return Err("control character in a string".into()),
                c => out.push(c as char),
            }
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(v));
                }
                loop {
                    let k = self.string()?;
                    self.eat(b':')?;
                    v.push((k, self.value()?));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(v));
                        }
                        _ => return Err(format!("expected , or }} at {}", self.i)),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(v));
                }
                loop {
                    v.push(self.value()?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(v));
                        }
                        _ => return Err(format!("expected , or ] at {}", self.i)),
                    }
                }
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b'n') if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                Ok(Json::Null)
            }
            Some(b't') if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                Ok(Json::Bool(true))
            }
            Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                Ok(Json::Bool(false))
            }
            Some(c) if *c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                while self.i < self.s.len() && b"+-.eE0123456789".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                t.parse()
                    .map(Json::Num)
                    .map_err(|_| format!("bad number {t:?}"))
            }
            _ => Err(format!("unexpected input at {}", self.i)),
        }
    }
}

impl Json {
    pub fn parse(text: &str) -> Result<Json, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != text.len() {
            return Err(format!("trailing input at {}", p.i));
        }
        Ok(v)
    }

    pub fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(v) => v
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no {key:?} in {self:?}")),
            _ => panic!("not an object: {self:?}"),
        }
    }

    pub fn num(&self, key: &str) -> f64 {
        match self.get(key) {
            Json::Num(n) => *n,
            v => panic!("{key} is not a number: {v:?} in {self:?}"),
        }
    }

    pub fn int(&self, key: &str) -> u64 {
        let n = self.num(key);
        assert!(n >= 0.0 && n.fract() == 0.0, "{key} = {n}: not a count");
        n as u64
    }

    pub fn str(&self, key: &str) -> &str {
        match self.get(key) {
            Json::Str(s) => s,
            v => panic!("{key} is not a string: {v:?} in {self:?}"),
        }
    }

    pub fn is_null(&self, key: &str) -> bool {
        matches!(self.get(key), Json::Null)
    }
}

/// Every line of standard output as JSON, checked by this parser and by
/// Python's json module (an independent reader).
pub fn json_lines(d: &Done) -> Vec<Json> {
    let v: Vec<Json> = d
        .out
        .lines()
        .map(|l| Json::parse(l).unwrap_or_else(|e| panic!("not JSON: {e}: {l:?}\n{}", d.context())))
        .collect();
    let mut c = Command::new("python3");
    c.args([
        "-c",
        "import json,sys\nn=0\nfor l in sys.stdin:\n    json.loads(l); n+=1\nprint(n)",
    ]);
    let p = Proc::start(c, d.out.as_bytes()).finish(LIMIT).expect(0);
    assert_eq!(
        p.out.trim(),
        v.len().to_string(),
        "python json: {}",
        p.context()
    );
    v
}

/// The lines whose "type" is `t` (packet, summary, interval, total).
pub fn of_type<'a>(v: &'a [Json], t: &str) -> Vec<&'a Json> {
    v.iter().filter(|j| j.str("type") == t).collect()
}

/// The flow summary of `group` (exactly one).
pub fn summary_of<'a>(v: &'a [Json], group: &str) -> &'a Json {
    let s: Vec<_> = of_type(v, "summary")
        .into_iter()
        .filter(|j| j.str("group") == group)
        .collect();
    assert_eq!(s.len(), 1, "summaries of {group}: {s:?}");
    s[0]
}

/// The total line (exactly one).
pub fn total(v: &[Json]) -> &Json {
    let t = of_type(v, "total");
    assert_eq!(t.len(), 1, "totals: {t:?}");
    t[0]
}
