//! The township office console: server-rendered pages under `/console` for clerks, leaders and
//! the district bureau, on the same [`Store`](crate::store::Store), accounts, township scope,
//! audit log and `workflow::next` path as the `/v1/staff` API.
//!
//! No JavaScript: every step is an HTML form. Sessions are server-side (the `sessions` table,
//! 30 minutes) behind an HttpOnly, SameSite=Strict cookie on `/console`; every form carries a
//! CSRF token derived from the session (or, before login, from a login cookie) and checked here;
//! every answer carries a strict Content-Security-Policy.

mod charts;
mod forms;
mod pages;
mod pdf;
mod session;
mod views;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::http::AppState;

pub use session::{CSRF_FIELD, LOGIN_COOKIE, SESSION_COOKIE};

/// Largest urlencoded form accepted.
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// Largest photo upload (one request, all its photos).
pub const MAX_UPLOAD_BYTES: usize = crate::http::MAX_MATERIAL_BYTES;
/// Longest single form field, in characters.
pub const MAX_FIELD_CHARS: usize = 2000;

/// The policy every console answer carries: nothing from elsewhere, no script at all, styles and
/// images only from this server, forms only to this server, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console's routes, nested at `/console` by [`crate::http::router`].
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/static/console.css", get(pages::stylesheet))
        .route("/login", get(pages::login_page).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/queue", get(pages::queue))
        .route("/cases/{id}", get(pages::case_page))
        .route("/cases/{id}/step", post(pages::case_step))
        .route("/cases/{id}/visit", get(pages::visit_page))
        .route(
            "/cases/{id}/photos",
            post(pages::upload_photos).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/cases/{id}/files/{sha}", get(pages::case_file))
        .route("/cases/{id}/notice", get(pages::notice_page))
        .route("/cases/{id}/notice.pdf", get(pages::notice_pdf))
        .route("/cases/{id}/documents/{file}", get(pages::document_pdf))
        .route(
            "/cases/{id}/documents/{notice}/delivered",
            post(pages::document_delivered),
        )
        .route("/townships/{code}/publicity", get(pages::publicity_page))
        .route("/townships/{code}/publicity.pdf", get(pages::publicity_pdf))
        .route(
            "/townships/{code}/publication",
            get(pages::publication_page),
        )
        .route(
            "/townships/{code}/publication.pdf",
            get(pages::publication_pdf),
        )
        .route("/statistics", get(pages::statistics_page))
        .route("/statistics.csv", get(pages::statistics_csv))
        .route("/kiosks", get(pages::kiosks_page))
        .fallback(|| async {
            views::ConsoleError::new(
                StatusCode::NOT_FOUND,
                "没有这个页面",
                "No such page in the console.",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(middleware::from_fn(security_headers))
        .with_state::<AppState>(state)
}

/// Adds the security headers to every console answer (a handler may set its own
/// Content-Security-Policy, e.g. for a PDF).
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: header::HeaderName, v: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(v));
        }
    };
    set(h, header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::CACHE_CONTROL, "no-store");
    set(
        h,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    set(
        h,
        header::HeaderName::from_static("permissions-policy"),
        "camera=(self), microphone=(), geolocation=()",
    );
    res
}

/// An API error shown as a console page.
impl From<ApiError> for views::ConsoleError {
    fn from(e: ApiError) -> Self {
        views::ConsoleError::from_api(&e)
    }
}

impl From<crate::store::StoreError> for views::ConsoleError {
    fn from(e: crate::store::StoreError) -> Self {
        views::ConsoleError::from_api(&ApiError::from(e))
    }
}

/// Runs blocking storage work off the async workers, as the API does.
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, views::ConsoleError> + Send + 'static,
) -> Result<R, views::ConsoleError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| {
        views::ConsoleError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "服务器处理失败，请重试",
            "The request handler failed; try again.",
        )
    })?
}

fn see_other(to: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, to.to_string())],
        "",
    )
        .into_response()
}
