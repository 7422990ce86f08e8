//! Widget state in the query string.
//!
//! Every knob and the seed of a widget live in the URL, so a reload or a shared link restores the
//! exact run. On a widget page keys are bare (`?nodes=5&seed=3`); on a book page, which shows
//! several widgets, each widget's keys carry its slug as a prefix (`?consistent-hashing.nodes=5`).
//! Updates use `history.replaceState`, so moving a slider does not flood the back button.

use super::dom;

/// Every `key=value` pair of the current query string, decoded, in order.
pub fn current_pairs() -> Vec<(String, String)> {
    let search = dom::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    parse_query(&search)
}

/// Decode a query string (with or without the leading `?`).
pub fn parse_query(search: &str) -> Vec<(String, String)> {
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(search) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let entries = js_sys::try_iter(&params).ok().flatten();
    for entry in entries.into_iter().flatten().flatten() {
        let arr = js_sys::Array::from(&entry);
        if let (Some(k), Some(v)) = (arr.get(0).as_string(), arr.get(1).as_string()) {
            out.push((k, v));
        }
    }
    out
}

/// Encode pairs as a query string (no leading `?`).
pub fn encode_query(pairs: &[(String, String)]) -> String {
    let Ok(params) = web_sys::UrlSearchParams::new() else {
        return String::new();
    };
    for (k, v) in pairs {
        params.append(k, v);
    }
    String::from(params.to_string())
}

/// The pairs that belong to one widget: with `prefix` (`"slug."`) stripped, or all when `None`.
pub fn scoped(pairs: &[(String, String)], prefix: Option<&str>) -> Vec<(String, String)> {
    match prefix {
        None => pairs.to_vec(),
        Some(p) => pairs
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(p).map(|k| (k.to_string(), v.clone())))
            .collect(),
    }
}

/// Replace one widget's pairs in the current URL, keeping everyone else's.
pub fn replace_scoped(prefix: Option<&str>, mine: &[(String, String)]) {
    let Some(w) = dom::window() else { return };
    let all = current_pairs();
    let mut kept: Vec<(String, String)> = match prefix {
        None => Vec::new(),
        Some(p) => all.into_iter().filter(|(k, _)| !k.starts_with(p)).collect(),
    };
    kept.extend(
        mine.iter()
            .map(|(k, v)| (format!("{}{}", prefix.unwrap_or(""), k), v.clone())),
    );
    let query = encode_query(&kept);
    let path = w.location().pathname().unwrap_or_else(|_| "/".into());
    let hash = w.location().hash().unwrap_or_default();
    let url = if query.is_empty() {
        format!("{path}{hash}")
    } else {
        format!("{path}?{query}{hash}")
    };
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The site's origin, e.g. `http://127.0.0.1:8080`.
pub fn origin() -> String {
    dom::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}
