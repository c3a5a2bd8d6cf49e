//! `--relation`: who one person is to another, by its name in the records
//! (`parent`, `child`, ...) or by the everyday word a cashier or a family
//! types (`mother`, `son`, `妻子`, ...).

use medcode::Relation;

/// The everyday words for each relation, in English and Chinese.
const ALIASES: [(&str, Relation); 30] = [
    ("mother", Relation::Parent),
    ("father", Relation::Parent),
    ("mum", Relation::Parent),
    ("dad", Relation::Parent),
    ("母亲", Relation::Parent),
    ("父亲", Relation::Parent),
    ("父母", Relation::Parent),
    ("son", Relation::Child),
    ("daughter", Relation::Child),
    ("儿子", Relation::Child),
    ("女儿", Relation::Child),
    ("子女", Relation::Child),
    ("husband", Relation::Spouse),
    ("wife", Relation::Spouse),
    ("丈夫", Relation::Spouse),
    ("妻子", Relation::Spouse),
    ("配偶", Relation::Spouse),
    ("brother", Relation::Sibling),
    ("sister", Relation::Sibling),
    ("兄弟姐妹", Relation::Sibling),
    ("grandfather", Relation::Grandparent),
    ("grandmother", Relation::Grandparent),
    ("grandpa", Relation::Grandparent),
    ("grandma", Relation::Grandparent),
    ("祖父母", Relation::Grandparent),
    ("外祖父母", Relation::Grandparent),
    ("grandson", Relation::Grandchild),
    ("granddaughter", Relation::Grandchild),
    ("孙子女", Relation::Grandchild),
    ("外孙子女", Relation::Grandchild),
];

/// Parses a `--relation` value: a relation's name or an everyday word for
/// it; anything else is refused with the names and how the words map.
pub(crate) fn relation(text: &str) -> Result<Relation, String> {
    if let Ok(r) = text.parse::<Relation>() {
        return Ok(r);
    }
    let lower = text.to_lowercase();
    ALIASES
        .iter()
        .find(|(word, _)| *word == lower)
        .map(|&(_, r)| r)
        .ok_or_else(|| {
            let names: Vec<&str> = Relation::ALL.iter().map(|r| r.as_str()).collect();
            format!(
                "one of {} (mother or father: parent; son or daughter: child; husband or wife: spouse; brother or sister: sibling; grandfather, grandmother: grandparent; grandson, granddaughter: grandchild)",
                names.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_everyday_words() {
        assert_eq!(relation("parent"), Ok(Relation::Parent));
        assert_eq!(relation("other_family"), Ok(Relation::OtherFamily));
        assert_eq!(relation("Mother"), Ok(Relation::Parent));
        assert_eq!(relation("daughter"), Ok(Relation::Child));
        assert_eq!(relation("妻子"), Ok(Relation::Spouse));
        assert_eq!(relation("granddaughter"), Ok(Relation::Grandchild));
        let e = relation("cousin").unwrap_err();
        assert!(e.starts_with("one of parent, spouse, child"), "{e}");
        assert!(e.contains("mother or father: parent"), "{e}");
    }
}
