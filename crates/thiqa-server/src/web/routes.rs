//! A router that remembers the paths it serves. axum cannot list a
//! router's routes, and the cross-tenant test must try every route that
//! takes an id, including the ones added after it was written: so every
//! router of the product is built through [`Routes`], which records each
//! path as it is added, and [`crate::route_table`] hands the list out.

use axum::routing::MethodRouter;
use axum::Router;

use crate::state::AppState;

pub struct Routes {
    router: Router<AppState>,
    paths: Vec<String>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes {
            router: Router::new(),
            paths: Vec::new(),
        }
    }
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn route(mut self, path: &str, method_router: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, method_router);
        self.paths.push(path.to_string());
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.paths.extend(other.paths);
        self
    }

    pub fn nest(mut self, prefix: &str, other: Routes) -> Self {
        self.router = self.router.nest(prefix, other.router);
        self.paths
            .extend(other.paths.into_iter().map(|p| format!("{prefix}{p}")));
        self
    }

    /// Anything else on the router (layers, fallback) that adds no path.
    pub fn map(mut self, f: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Self {
        self.router = f(self.router);
        self
    }

    /// The router, its state given, and the paths it serves.
    pub fn finish(self, app: &AppState) -> (Router, Vec<String>) {
        (self.router.with_state(app.clone()), self.paths)
    }

    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
