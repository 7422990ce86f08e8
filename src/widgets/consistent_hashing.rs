//! Placeholder view.
use crate::chrome::host::WidgetCtx;
use yew::prelude::*;

/// Props.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Context.
    pub ctx: WidgetCtx,
}

/// View.
#[component]
pub fn View(props: &Props) -> Html {
    html! { <pre>{ props.ctx.output.as_ref().map(|o| o.to_string()).unwrap_or_default() }</pre> }
}
