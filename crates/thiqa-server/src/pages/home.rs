//! The landing page of each realm.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use thiqa_app::home::{self, Landing};
use thiqa_catalog::ServiceModel;

use crate::auth::visit::Signed;
use crate::pages::events::EventRow;
use crate::realm::Realm;
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
    let home = home::view(&app, &me.member()).await?;
    let mut tiles = Vec::new();
    let mut services = Vec::new();
    let intro_key = match home.landing {
        Landing::Provider {
            obligations,
            organisations,
            active_accounts,
            services: listed,
            notices_blocked,
        } => {
            tiles.push(("home-obligations", obligations.to_string(), "/catalog"));
            tiles.push((
                "home-organisations",
                organisations.to_string(),
                "/organisations",
            ));
            tiles.push(("home-operators", active_accounts.to_string(), "/accounts"));
            if notices_blocked > 0 {
                tiles.push((
                    "home-notices-blocked",
                    notices_blocked.to_string(),
                    "/notices",
                ));
            }
            for (s, applicable) in listed {
                let label = ServiceModel::from_name(&s.model)
                    .map(|m| m.label().to_string())
                    .unwrap_or(s.model.clone());
                services.push((s.name, label, s.level, applicable));
            }
            "home-intro-console"
        }
        Landing::Organisation {
            name,
            notices_waiting,
        } => {
            tiles.push(("home-organisation", name, "/"));
            if notices_waiting > 0 {
                tiles.push((
                    "home-notices-waiting",
                    notices_waiting.to_string(),
                    "/notices",
                ));
            }
            "home-intro-portal"
        }
    };
    let events = home.events.into_iter().map(EventRow::from).collect();
    ok(&HomePage {
        chrome: Chrome::new::<R>(&app, &me.visit, "/"),
        name: me.account.display_name.clone(),
        intro_key,
        tiles,
        services,
        events,
    })
}
