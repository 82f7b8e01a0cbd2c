//! Stable machine names and human labels of the catalog's enumerations.
//!
//! Exports (CSV, XLSX, OSCAL props), search filters and the command line all
//! need the same names as the TOML data; they live here once, and a test checks
//! that they are exactly serde's names so the two can never drift apart.

use crate::lang::Lang;
use crate::model::{DurationKind, Force, Nature, Party, Recurrence};

macro_rules! names {
    ($ty:ident { $($variant:ident => $name:literal, $fr:literal, $en:literal;)* }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            /// The name used in the TOML data (serde's name).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)*
                }
            }

            /// A short human label.
            pub fn label_in(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $(($ty::$variant, Lang::Fr) => $fr,
                      ($ty::$variant, Lang::En) => $en,)*
                }
            }

            /// Parses the data name (as written in TOML).
            pub fn from_name(name: &str) -> Option<$ty> {
                Self::ALL.iter().copied().find(|v| v.as_str() == name)
            }
        }
    };
}

names!(Force {
    Obligation => "obligation", "obligation", "obligation";
    Recommendation => "recommendation", "recommandation", "recommendation";
    Definition => "definition", "définition", "definition";
});

names!(Nature {
    Policy => "policy", "politique", "policy";
    Procedure => "procedure", "procédure", "procedure";
    Technical => "technical", "mesure technique", "technical measure";
    Organisational => "organisational", "mesure organisationnelle", "organisational measure";
    Contractual => "contractual", "clause contractuelle", "contract clause";
    Register => "register", "registre", "register";
    Periodic => "periodic", "action périodique", "periodic action";
    Notification => "notification", "notification", "notification";
});

names!(Recurrence {
    Daily => "daily", "quotidienne", "daily";
    Monthly => "monthly", "mensuelle", "monthly";
    Annual => "annual", "annuelle", "annual";
    Regular => "regular", "régulière", "regular";
    MajorChange => "major_change", "à chaque changement majeur", "at each major change";
    Incident => "incident", "à chaque incident", "at each incident";
    BeforeProject => "before_project", "avant tout projet", "before any project";
    BeforeQualification => "before_qualification", "avant la qualification", "before qualification";
    PersonnelChange => "personnel_change", "à chaque mouvement de personnel", "at each staff change";
    Continuous => "continuous", "en continu", "continuous";
});

names!(Party {
    Commanditaire => "commanditaire", "commanditaire", "commanditaire (customer)";
    AutoriteNationale => "autorite_nationale", "autorité nationale de cybersécurité", "national cybersecurity authority";
    Direction => "direction", "direction", "management";
    Rssi => "rssi", "RSSI", "CISO";
    Personnel => "personnel", "personnel", "staff";
    Tiers => "tiers", "tiers", "third parties";
    Passi => "passi", "PASSI", "PASSI (qualified auditor)";
    UtilisateurFinal => "utilisateur_final", "utilisateur final", "end user";
});

names!(DurationKind {
    MinimumRetention => "minimum_retention", "conservation minimale", "minimum retention";
    Window => "window", "période couverte", "window";
    Programme => "programme", "durée du programme", "programme length";
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    fn serde_name<T: Serialize>(v: T) -> String {
        serde_json::to_value(v)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn names_are_serde_names() {
        for v in Force::ALL {
            assert_eq!(v.as_str(), serde_name(v));
            assert_eq!(Force::from_name(v.as_str()), Some(*v));
        }
        for v in Nature::ALL {
            assert_eq!(v.as_str(), serde_name(v));
        }
        for v in Recurrence::ALL {
            assert_eq!(v.as_str(), serde_name(v));
        }
        for v in Party::ALL {
            assert_eq!(v.as_str(), serde_name(v));
        }
        for v in DurationKind::ALL {
            assert_eq!(v.as_str(), serde_name(v));
        }
        assert_eq!(Nature::from_name("nope"), None);
    }
}
