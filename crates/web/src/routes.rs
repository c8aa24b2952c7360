//! A router that remembers the path of every route it was given, so that a
//! test can visit every page there is (a page added later cannot be
//! forgotten) and `app` is built from the same list.

use axum::Router;
use axum::routing::MethodRouter;

use crate::AppState;

/// Routes and their paths, in the order they were added.
pub(crate) struct Routes {
    router: Router<AppState>,
    paths: Vec<&'static str>,
}

impl Routes {
    pub(crate) fn new() -> Self {
        Self { router: Router::new(), paths: Vec::new() }
    }

    pub(crate) fn route(mut self, path: &'static str, method: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, method);
        self.paths.push(path);
        self
    }

    pub(crate) fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.paths.extend(other.paths);
        self
    }

    /// Applies `change` to the router (a `route_layer`, a nested router whose
    /// paths are listed elsewhere); the paths stay as they are.
    pub(crate) fn map(mut self, change: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Self {
        self.router = change(self.router);
        self
    }

    pub(crate) fn into_parts(self) -> (Router<AppState>, Vec<&'static str>) {
        (self.router, self.paths)
    }
}
