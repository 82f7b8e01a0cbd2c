//! Where a service's data is stored or processed (référentiel 3.15.2: the
//! provider tells its customers where their data lives): the sites of a
//! service, added and removed by its provider's staff.

use thiqa_domain::{Permission, ServiceId, SiteId};

use crate::{App, AppError, Staff};

/// The longest site name or city, in characters.
pub const TEXT_MAX: usize = 120;

/// What is wrong with a submitted site; nothing is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteProblem {
    /// The name or the city is empty or longer than [`TEXT_MAX`].
    Fields,
    /// The country is not an ISO 3166-1 alpha-2 code (two letters).
    Country,
}

/// A data centre's name, city and country, checked.
#[derive(Debug, Clone)]
pub struct SiteInput {
    name: String,
    city: String,
    country: String,
}

impl SiteInput {
    /// Trims the texts, upper-cases the country and checks them all.
    pub fn check(name: &str, city: &str, country: &str) -> Result<SiteInput, Vec<SiteProblem>> {
        let (name, city) = (name.trim(), city.trim());
        let country = country.trim().to_ascii_uppercase();
        let mut problems = Vec::new();
        let fits = |s: &str| !s.is_empty() && s.chars().count() <= TEXT_MAX;
        if !fits(name) || !fits(city) {
            problems.push(SiteProblem::Fields);
        }
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            problems.push(SiteProblem::Country);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(SiteInput {
            name: name.to_string(),
            city: city.to_string(),
            country,
        })
    }
}

/// Adds a site to a service of the staff member's provider
/// (`services.manage`); NotFound for another provider's service.
pub async fn add_site(
    app: &App,
    staff: &Staff<'_>,
    service: ServiceId,
    site: &SiteInput,
) -> Result<SiteId, AppError> {
    staff.require(Permission::ServicesManage)?;
    Ok(app
        .store
        .provider(staff.provider())
        .add_site(
            service,
            &site.name,
            &site.city,
            &site.country,
            staff.actor(),
        )
        .await?)
}

/// Removes a site of a service of the staff member's provider
/// (`services.manage`); NotFound for a site or service not its own.
pub async fn remove_site(
    app: &App,
    staff: &Staff<'_>,
    service: ServiceId,
    site: SiteId,
) -> Result<(), AppError> {
    staff.require(Permission::ServicesManage)?;
    Ok(app
        .store
        .provider(staff.provider())
        .remove_site(service, site, staff.actor())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_needs_a_name_a_city_and_a_two_letter_country() {
        let ok = SiteInput::check(" DC1 ", "Rabat", "ma").unwrap();
        assert_eq!((ok.name.as_str(), ok.country.as_str()), ("DC1", "MA"));
        assert_eq!(
            SiteInput::check("", "Rabat", "MAR").unwrap_err(),
            vec![SiteProblem::Fields, SiteProblem::Country]
        );
        assert_eq!(
            SiteInput::check("DC1", &"x".repeat(121), "M1").unwrap_err(),
            vec![SiteProblem::Fields, SiteProblem::Country]
        );
    }
}
