//! Browser tests of the app, run by wasm-bindgen-test in headless Chromium
//! (`cargo test --target wasm32-unknown-unknown -p pillars-lab`, see scripts/test.sh).
//!
//! They drive the real Yew components in a real DOM: every registered widget mounts and shows
//! its metrics, bad URL values raise the clamp notice instead of a blank, and the core gives the
//! book's numbers when compiled to wasm.

use pillars_lab::chrome::url;
use pillars_lab::widgets;
use sim::registry;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Wait for the next turns of the event loop (Yew renders asynchronously).
async fn settle(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

fn fresh_div() -> web_sys::Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

/// Wait until `selector` matches inside `root` (up to ~5 s).
async fn wait_for(root: &web_sys::Element, selector: &str) -> Option<web_sys::Element> {
    for _ in 0..100 {
        if let Ok(Some(e)) = root.query_selector(selector) {
            return Some(e);
        }
        settle(50).await;
    }
    None
}

#[wasm_bindgen_test]
fn every_built_widget_has_a_view_and_every_view_a_model() {
    for w in registry::built() {
        assert!(
            widgets::VIEWS.iter().any(|(s, _)| *s == w.slug),
            "{} has no view",
            w.slug
        );
    }
    for (slug, _) in widgets::VIEWS {
        assert!(
            registry::widget(slug).is_some_and(|w| w.is_built()),
            "view {slug} has no built model"
        );
    }
}

#[wasm_bindgen_test]
fn query_strings_round_trip() {
    let pairs = vec![
        ("a".to_string(), "1 2".to_string()),
        ("b.c".to_string(), "x&y=z".to_string()),
    ];
    let q = url::encode_query(&pairs);
    assert_eq!(url::parse_query(&q), pairs);
    assert_eq!(
        url::scoped(&pairs, Some("b.")),
        vec![("c".to_string(), "x&y=z".to_string())]
    );
}

#[wasm_bindgen_test]
fn the_core_gives_the_books_numbers_on_wasm() {
    let out: serde_json::Value =
        serde_json::from_str(&sim::run_json("consistent-hashing", &[], 1).unwrap()).unwrap();
    let keys: Vec<u64> = out["report"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["keys"].as_u64().unwrap())
        .collect();
    assert_eq!(keys, vec![3678, 3114, 3208]);
    assert_eq!(out["report"]["change"]["moved"], 3114);
    let out: serde_json::Value =
        serde_json::from_str(&sim::run_json("autoscaling-calculator", &[], 1).unwrap()).unwrap();
    assert_eq!(out["report"]["formula_instances"], 143);
}

#[wasm_bindgen_test]
async fn every_built_widget_mounts_and_shows_metrics() {
    for w in registry::built() {
        let div = fresh_div();
        pillars_lab::mount_widget(div.clone(), w.slug.to_string(), String::new());
        let m = wait_for(&div, "[data-metric] .value").await;
        assert!(m.is_some(), "{}: no metric appeared", w.slug);
        assert!(
            div.query_selector(".notice").unwrap().is_none(),
            "{}: notice on defaults",
            w.slug
        );
        assert!(
            div.query_selector("input, select").unwrap().is_some(),
            "{}: no controls",
            w.slug
        );
    }
}

#[wasm_bindgen_test]
async fn garbage_settings_show_the_clamp_notice_not_a_blank() {
    let div = fresh_div();
    pillars_lab::mount_widget(
        div.clone(),
        "consistent-hashing".into(),
        "nodes=9999&hash=sha9&seed=-4".into(),
    );
    let notice = wait_for(&div, ".notice").await.expect("a notice");
    let text = notice.text_content().unwrap_or_default();
    assert!(
        text.contains("Nodes must be a whole number from 1 to 64"),
        "{text}"
    );
    assert!(text.contains("seed"), "{text}");
    let nodes = div
        .query_selector("#w-consistent-hashing-nodes")
        .unwrap()
        .unwrap()
        .dyn_into::<web_sys::HtmlInputElement>()
        .unwrap();
    assert_eq!(nodes.value_as_number(), 64.0);
    assert!(wait_for(&div, "[data-metric=\"max_over_mean\"] .value")
        .await
        .is_some());
}

#[wasm_bindgen_test]
async fn moving_a_knob_changes_a_metric() {
    let div = fresh_div();
    pillars_lab::mount_widget(div.clone(), "autoscaling-calculator".into(), String::new());
    let formula = wait_for(&div, "[data-metric=\"formula_instances\"]")
        .await
        .expect("formula shown");
    assert_eq!(formula.text_content().unwrap(), "143");
    let input = div
        .query_selector("#w-autoscaling-calculator-target_util")
        .unwrap()
        .unwrap()
        .dyn_into::<web_sys::HtmlInputElement>()
        .unwrap();
    input.set_value("50");
    input
        .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    for _ in 0..100 {
        settle(50).await;
        if formula.text_content().unwrap() == "200" {
            return;
        }
    }
    panic!(
        "formula did not become ⌈100/0.5⌉ = 200: {:?}",
        formula.text_content()
    );
}

#[wasm_bindgen_test]
async fn unknown_and_planned_widgets_say_so() {
    let div = fresh_div();
    pillars_lab::mount_widget(div.clone(), "no-such-thing".into(), String::new());
    let n = wait_for(&div, ".notice").await.expect("notice");
    assert!(n.text_content().unwrap().contains("no-such-thing"));
    // a planned widget, while there is one
    if let Some(w) = registry::WIDGETS.iter().find(|w| !w.is_built()) {
        let div = fresh_div();
        pillars_lab::mount_widget(div.clone(), w.slug.into(), String::new());
        let b = wait_for(&div, ".badge").await.expect("badge");
        assert_eq!(b.text_content().unwrap(), "Not built yet");
    }
}

/// The hand-written `Routable` for `Route` (src/app.rs) must behave like the derive it replaced:
/// every address the site links to comes back as the same route, one trailing slash is ignored,
/// parameters round-trip through percent-encoding, and anything else is `NotFound`.
#[wasm_bindgen_test]
fn routes_round_trip_and_unknown_paths_are_not_found() {
    use pillars_lab::app::Route;
    use yew_router::Routable;

    let mut routes = vec![Route::Home, Route::Summary, Route::NotFound];
    for p in registry::PAGES {
        routes.push(Route::Page {
            number: p.number.to_string(),
        });
    }
    for w in registry::built() {
        routes.push(Route::Widget {
            slug: w.slug.to_string(),
        });
        routes.push(Route::Embed {
            slug: w.slug.to_string(),
        });
    }
    for r in &routes {
        let path = r.to_path();
        assert_eq!(Route::recognize(&path).as_ref(), Some(r), "{path}");
        if path != "/" {
            assert_eq!(
                Route::recognize(&format!("{path}/")).as_ref(),
                Some(r),
                "{path}/"
            );
        }
    }
    assert_eq!(Route::recognize(""), Some(Route::Home));
    assert_eq!(
        Route::Widget {
            slug: "a b/c".into()
        }
        .to_path(),
        "/widget/a%20b%2Fc"
    );
    assert_eq!(
        Route::recognize("/widget/a%20b%2Fc"),
        Some(Route::Widget {
            slug: "a b/c".into()
        })
    );
    for unknown in [
        "/page",
        "/page/",
        "/page//",
        "/page/21/extra",
        "/widgets/quorum",
        "/summary/x",
        "//",
        "/embed",
    ] {
        assert_eq!(
            Route::recognize(unknown),
            Some(Route::NotFound),
            "{unknown}"
        );
    }
}
