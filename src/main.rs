//! The site's entry point: mount the Yew app on the page.
fn main() {
    pillars_lab::start_app();
}
