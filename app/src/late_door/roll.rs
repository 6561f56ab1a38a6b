//! Finding a pupil on the roll the tablet holds, as the person at the door types: by any part
//! of the name, or by form. Pure, so it is the same on every device and tested here.

use crate::sync::RollPupil;

/// The roll with what the search compares, worked out once when the roll arrives rather than
/// on every keystroke.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Roll {
    pub pupils: Vec<RollPupil>,
    /// Per pupil: "first last form year", folded for comparison.
    keys: Vec<String>,
}

impl Roll {
    pub fn new(mut pupils: Vec<RollPupil>) -> Roll {
        pupils.sort_by(|a, b| {
            (fold(&a.last_name), fold(&a.first_name))
                .cmp(&(fold(&b.last_name), fold(&b.first_name)))
        });
        let keys = pupils
            .iter()
            .map(|pupil| {
                fold(&format!(
                    "{} {} {} {}",
                    pupil.first_name, pupil.last_name, pupil.form, pupil.year
                ))
            })
            .collect();
        Roll { pupils, keys }
    }

    pub fn len(&self) -> usize {
        self.pupils.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pupils.is_empty()
    }

    pub fn get(&self, id: uuid::Uuid) -> Option<&RollPupil> {
        self.pupils.iter().find(|pupil| pupil.id == id)
    }

    /// At most `limit` pupils matching every word typed, each word anywhere in the name, form
    /// or year ("ami", "khan 9c", "9C"). Pupils whose first or last name starts with the first
    /// word come first; then by surname.
    pub fn find(&self, query: &str, limit: usize) -> Vec<&RollPupil> {
        let query = fold(query);
        let words: Vec<&str> = query.split_whitespace().collect();
        let Some(first) = words.first() else {
            return Vec::new();
        };
        let mut starts = Vec::new();
        let mut others = Vec::new();
        for (pupil, key) in self.pupils.iter().zip(&self.keys) {
            if !words.iter().all(|word| key.contains(word)) {
                continue;
            }
            let starts_a_name = key.starts_with(first)
                || key
                    .match_indices(' ')
                    .next()
                    .is_some_and(|(space, _)| key[space + 1..].starts_with(first));
            if starts_a_name {
                starts.push(pupil);
                if starts.len() == limit {
                    break;
                }
            } else if others.len() < limit {
                others.push(pupil);
            }
        }
        starts.extend(others);
        starts.truncate(limit);
        starts
    }
}

/// Lower case, with the accents people often leave out when typing (Zoë, Chloé, Łukasz)
/// taken off, so "zoe" finds Zoë.
fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
            'ç' | 'ć' | 'č' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
            'ł' => 'l',
            'ñ' | 'ń' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => 'o',
            'ś' | 'š' | 'ş' => 's',
            'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
            'ý' | 'ÿ' => 'y',
            'ź' | 'ż' | 'ž' => 'z',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pupil(first: &str, last: &str, form: &str) -> RollPupil {
        RollPupil {
            id: uuid::Uuid::new_v4(),
            first_name: first.to_string(),
            last_name: last.to_string(),
            form: form.to_string(),
            year: format!("Year {}", &form[..form.len() - 1]),
        }
    }

    fn names(found: Vec<&RollPupil>) -> Vec<String> {
        found
            .into_iter()
            .map(|pupil| format!("{} {}", pupil.first_name, pupil.last_name))
            .collect()
    }

    fn roll() -> Roll {
        Roll::new(vec![
            pupil("Amira", "Khan", "9C"),
            pupil("Oliver", "Smith", "7A"),
            pupil("Zoë", "Kamara", "9C"),
            pupil("Sami", "Amirov", "8B"),
            pupil("Mira", "Patel", "10A"),
        ])
    }

    #[test]
    fn any_part_of_the_name_finds_the_pupil_with_names_starting_so_first() {
        assert_eq!(names(roll().find("ami", 10)), ["Sami Amirov", "Amira Khan"]);
        assert_eq!(names(roll().find("mira", 10)), ["Mira Patel", "Amira Khan"]);
        assert_eq!(names(roll().find("MITH", 10)), ["Oliver Smith"]);
        assert_eq!(names(roll().find("amirov", 10)), ["Sami Amirov"]);
    }

    #[test]
    fn every_word_must_match_and_a_form_narrows_the_list() {
        assert_eq!(names(roll().find("9c", 10)), ["Zoë Kamara", "Amira Khan"]);
        assert_eq!(names(roll().find("k 9C", 10)), ["Zoë Kamara", "Amira Khan"]);
        assert_eq!(names(roll().find("khan 7a", 10)), Vec::<String>::new());
    }

    #[test]
    fn accents_need_not_be_typed() {
        assert_eq!(names(roll().find("zoe", 10)), ["Zoë Kamara"]);
    }

    #[test]
    fn nothing_typed_finds_nobody_and_the_limit_holds() {
        assert!(roll().find("  ", 10).is_empty());
        assert_eq!(roll().find("a", 2).len(), 2);
    }
}
