//! Place names that are not G40 cities (`data/places-outside-g40.txt`): a query naming
//! one ("amsterdam") is told that Stadsmaat holds the projects of the 40 G40 cities,
//! instead of being corrected to a G40 city that looks alike ("amersfoort").

use std::sync::OnceLock;

const SHIPPED: &str = include_str!("../../data/places-outside-g40.txt");

/// A place's name as written, and as the words a query is compared with.
struct Place {
    name: &'static str,
    words: Vec<String>,
}

fn places() -> &'static [Place] {
    static PLACES: OnceLock<Vec<Place>> = OnceLock::new();
    PLACES.get_or_init(|| {
        SHIPPED
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|name| Place {
                name,
                words: words(name),
            })
            .collect()
    })
}

/// Lower-case words without accents, split at anything but letters, digits and the
/// apostrophe of 's-Gravenhage.
fn words(text: &str) -> Vec<String> {
    let folded: String = text
        .to_lowercase()
        .chars()
        .map(crate::text::fold_diacritics)
        .collect();
    folded
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The first place outside the G40 that `query` names, as the list writes it.
pub fn outside_g40(query: &str) -> Option<&'static str> {
    let query = words(query);
    places()
        .iter()
        .find(|place| query.windows(place.words.len()).any(|w| w == place.words))
        .map(|place| place.name)
}

#[cfg(test)]
mod tests {
    use super::outside_g40;

    #[test]
    fn a_place_outside_the_g40_is_recognised_in_any_case_and_with_other_words() {
        assert_eq!(outside_g40("Amsterdam"), Some("Amsterdam"));
        assert_eq!(outside_g40("slim parkeren den haag"), Some("Den Haag"));
        assert_eq!(outside_g40("sudwest-fryslan"), Some("Súdwest-Fryslân"));
    }

    #[test]
    fn g40_cities_and_ordinary_words_are_not_places_outside() {
        for query in [
            "Amersfoort",
            "parkeren",
            "den",
            "haag",
            "best practices",
            "Zwolle",
        ] {
            assert_eq!(outside_g40(query), None, "{query}");
        }
    }
}
