//! The landing page of each realm.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use thiqa_catalog::ServiceModel;
use thiqa_domain::{Permission, Tenant};

use crate::auth::realm::Realm;
use crate::auth::visit::Signed;
use crate::pages::events::{recent, EventRow};
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::ok;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    chrome: Chrome<'a>,
    name: String,
    intro_key: &'static str,
    tiles: Vec<(&'static str, String, &'static str)>,
    /// (name, model, level, applicable obligations)
    services: Vec<(String, String, i64, usize)>,
    events: Vec<EventRow>,
}

pub async fn page<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
) -> Result<Response, PageError> {
    let mut tiles = Vec::new();
    let mut services = Vec::new();
    let intro_key = match me.tenant() {
        Tenant::Provider(provider) => {
            let catalog = app.catalog;
            tiles.push((
                "home-obligations",
                catalog.obligations().count().to_string(),
                "/catalog",
            ));
            tiles.push((
                "home-organisations",
                app.store.organisations(provider).await?.len().to_string(),
                "/organisations",
            ));
            tiles.push((
                "home-operators",
                app.store
                    .accounts_of(me.tenant())
                    .await?
                    .iter()
                    .filter(|a| a.is_active())
                    .count()
                    .to_string(),
                "/accounts",
            ));
            if me.can(Permission::ServicesRead) {
                for s in app.store.services(provider).await? {
                    let profile = thiqa_app::services::profile_of(app.catalog, &s)?;
                    let applicable =
                        thiqa_app::services::applicable_ids(app.catalog, &profile).len();
                    let label = ServiceModel::from_name(&s.model)
                        .map(|m| m.label().to_string())
                        .unwrap_or(s.model.clone());
                    services.push((s.name, label, s.level, applicable));
                }
            }
            "home-intro-console"
        }
        Tenant::Organisation(org) => {
            let org = app.store.organisation(org).await?;
            tiles.push(("home-organisation", org.name, "/"));
            "home-intro-portal"
        }
    };
    let events = if me.can(R::READ_EVENTS) {
        recent(&app, me.tenant(), 10).await?
    } else {
        vec![]
    };
    ok(&HomePage {
        chrome: Chrome::new::<R>(&app, &me.visit, "/"),
        name: me.account.display_name.clone(),
        intro_key,
        tiles,
        services,
        events,
    })
}
