//! The site's pages.

pub mod book_page;
pub mod embed;
pub mod home;
pub mod summary;
pub mod widget_page;
