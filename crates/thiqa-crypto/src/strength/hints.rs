//! zxcvbn's feedback as our own stable, translatable enums.
//!
//! Why mirror zxcvbn's enums instead of re-exporting them: the UI's message
//! files (fr, en; ar later) are keyed by [`Warning::code`] and
//! [`Suggestion::code`]. Owning the codes keeps those keys stable across
//! zxcvbn upgrades, and the exhaustive `match` below fails to compile if a
//! new zxcvbn version adds a variant, so no hint can go untranslated.

use std::fmt;

use zxcvbn::feedback::{Suggestion as ZSuggestion, Warning as ZWarning};

/// What zxcvbn found wrong with a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Warning {
    StraightRowOfKeys,
    ShortKeyboardPattern,
    RepeatedCharacters,
    RepeatedPattern,
    Top10Password,
    Top100Password,
    CommonPassword,
    SimilarToCommonPassword,
    Sequence,
    RecentYear,
    SingleWord,
    Date,
    NameOrSurname,
    CommonNameOrSurname,
}

/// How zxcvbn suggests making a password stronger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Suggestion {
    UseFewWords,
    NoNeedForSymbols,
    AddAnotherWord,
    CapitalizationDoesNotHelp,
    AllUppercaseDoesNotHelp,
    ReversedWordsDoNotHelp,
    PredictableSubstitutions,
    LongerKeyboardPattern,
    AvoidRepeats,
    AvoidSequences,
    AvoidRecentYears,
    AvoidPersonalYears,
    AvoidPersonalDates,
}

impl Warning {
    /// Stable machine code, for message-file keys and API clients.
    pub fn code(self) -> &'static str {
        self.texts().0
    }

    fn texts(self) -> (&'static str, &'static str) {
        match self {
            Self::StraightRowOfKeys => (
                "straight_row_of_keys",
                "Straight rows of keys are easy to guess.",
            ),
            Self::ShortKeyboardPattern => (
                "short_keyboard_pattern",
                "Short keyboard patterns are easy to guess.",
            ),
            Self::RepeatedCharacters => (
                "repeated_characters",
                "Repeats like \"aaa\" are easy to guess.",
            ),
            Self::RepeatedPattern => (
                "repeated_pattern",
                "Repeats like \"abcabcabc\" are only slightly harder to guess than \"abc\".",
            ),
            Self::Top10Password => ("top10_password", "This is a top-10 common password."),
            Self::Top100Password => ("top100_password", "This is a top-100 common password."),
            Self::CommonPassword => ("common_password", "This is a very common password."),
            Self::SimilarToCommonPassword => (
                "similar_to_common_password",
                "This is similar to a commonly used password.",
            ),
            Self::Sequence => ("sequence", "Sequences like abc or 6543 are easy to guess."),
            Self::RecentYear => ("recent_year", "Recent years are easy to guess."),
            Self::SingleWord => ("single_word", "A word by itself is easy to guess."),
            Self::Date => ("date", "Dates are often easy to guess."),
            Self::NameOrSurname => (
                "name_or_surname",
                "Names and surnames by themselves are easy to guess.",
            ),
            Self::CommonNameOrSurname => (
                "common_name_or_surname",
                "Common names and surnames are easy to guess.",
            ),
        }
    }

    pub(crate) fn from_zxcvbn(w: ZWarning) -> Self {
        match w {
            ZWarning::StraightRowsOfKeysAreEasyToGuess => Self::StraightRowOfKeys,
            ZWarning::ShortKeyboardPatternsAreEasyToGuess => Self::ShortKeyboardPattern,
            ZWarning::RepeatsLikeAaaAreEasyToGuess => Self::RepeatedCharacters,
            ZWarning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => Self::RepeatedPattern,
            ZWarning::ThisIsATop10Password => Self::Top10Password,
            ZWarning::ThisIsATop100Password => Self::Top100Password,
            ZWarning::ThisIsACommonPassword => Self::CommonPassword,
            ZWarning::ThisIsSimilarToACommonlyUsedPassword => Self::SimilarToCommonPassword,
            ZWarning::SequencesLikeAbcAreEasyToGuess => Self::Sequence,
            ZWarning::RecentYearsAreEasyToGuess => Self::RecentYear,
            ZWarning::AWordByItselfIsEasyToGuess => Self::SingleWord,
            ZWarning::DatesAreOftenEasyToGuess => Self::Date,
            ZWarning::NamesAndSurnamesByThemselvesAreEasyToGuess => Self::NameOrSurname,
            ZWarning::CommonNamesAndSurnamesAreEasyToGuess => Self::CommonNameOrSurname,
        }
    }
}

impl fmt::Display for Warning {
    /// English rendering; other languages come from the message files.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.texts().1)
    }
}

impl Suggestion {
    /// Stable machine code, for message-file keys and API clients.
    pub fn code(self) -> &'static str {
        self.texts().0
    }

    fn texts(self) -> (&'static str, &'static str) {
        match self {
            Self::UseFewWords => ("use_few_words", "Use a few words, avoid common phrases."),
            Self::NoNeedForSymbols => (
                "no_need_for_symbols",
                "No need for symbols, digits, or uppercase letters.",
            ),
            Self::AddAnotherWord => (
                "add_another_word",
                "Add another word or two. Uncommon words are better.",
            ),
            Self::CapitalizationDoesNotHelp => (
                "capitalization_does_not_help",
                "Capitalization doesn't help very much.",
            ),
            Self::AllUppercaseDoesNotHelp => (
                "all_uppercase_does_not_help",
                "All-uppercase is almost as easy to guess as all-lowercase.",
            ),
            Self::ReversedWordsDoNotHelp => (
                "reversed_words_do_not_help",
                "Reversed words aren't much harder to guess.",
            ),
            Self::PredictableSubstitutions => (
                "predictable_substitutions",
                "Predictable substitutions like '@' instead of 'a' don't help very much.",
            ),
            Self::LongerKeyboardPattern => (
                "longer_keyboard_pattern",
                "Use a longer keyboard pattern with more turns.",
            ),
            Self::AvoidRepeats => ("avoid_repeats", "Avoid repeated words and characters."),
            Self::AvoidSequences => ("avoid_sequences", "Avoid sequences."),
            Self::AvoidRecentYears => ("avoid_recent_years", "Avoid recent years."),
            Self::AvoidPersonalYears => (
                "avoid_personal_years",
                "Avoid years that are associated with you.",
            ),
            Self::AvoidPersonalDates => (
                "avoid_personal_dates",
                "Avoid dates and years that are associated with you.",
            ),
        }
    }

    pub(crate) fn from_zxcvbn(s: ZSuggestion) -> Self {
        match s {
            ZSuggestion::UseAFewWordsAvoidCommonPhrases => Self::UseFewWords,
            ZSuggestion::NoNeedForSymbolsDigitsOrUppercaseLetters => Self::NoNeedForSymbols,
            ZSuggestion::AddAnotherWordOrTwo => Self::AddAnotherWord,
            ZSuggestion::CapitalizationDoesntHelpVeryMuch => Self::CapitalizationDoesNotHelp,
            ZSuggestion::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase => {
                Self::AllUppercaseDoesNotHelp
            }
            ZSuggestion::ReversedWordsArentMuchHarderToGuess => Self::ReversedWordsDoNotHelp,
            ZSuggestion::PredictableSubstitutionsDontHelpVeryMuch => Self::PredictableSubstitutions,
            ZSuggestion::UseALongerKeyboardPatternWithMoreTurns => Self::LongerKeyboardPattern,
            ZSuggestion::AvoidRepeatedWordsAndCharacters => Self::AvoidRepeats,
            ZSuggestion::AvoidSequences => Self::AvoidSequences,
            ZSuggestion::AvoidRecentYears => Self::AvoidRecentYears,
            ZSuggestion::AvoidYearsThatAreAssociatedWithYou => Self::AvoidPersonalYears,
            ZSuggestion::AvoidDatesAndYearsThatAreAssociatedWithYou => Self::AvoidPersonalDates,
        }
    }
}

impl fmt::Display for Suggestion {
    /// English rendering; other languages come from the message files.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.texts().1)
    }
}
