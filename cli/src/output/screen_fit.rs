//! Whether the holder's QR code fits the terminal: a code that the terminal
//! wraps or cuts is not scannable, so `medcode show` draws it only when it
//! fits and otherwise says how large the window must be.

/// Columns and rows of the terminal (`None` when it cannot be told).
pub(crate) type Size = (u16, u16);

/// The columns and rows that `picture` and `extra_rows` lines below it
/// need.
pub(crate) fn needed(picture: &str, extra_rows: usize) -> (usize, usize) {
    let columns = picture
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    (columns, picture.lines().count() + extra_rows)
}

/// `Ok(())` when `need` fits in `size`, or an explanation (several lines,
/// each short enough for a narrow terminal) of what the window needs.
/// An unknown size is taken to fit: nothing better can be said.
pub(crate) fn check(need: (usize, usize), size: Option<Size>) -> Result<(), String> {
    let Some((cols, rows)) = size else {
        return Ok(());
    };
    let (need_cols, need_rows) = need;
    if usize::from(cols) >= need_cols && usize::from(rows) >= need_rows {
        return Ok(());
    }
    Err(format!(
        "The terminal is {cols} x {rows};\nthe code needs {need_cols} x {need_rows}\n(columns x rows).\nA wrapped code cannot be\nscanned: enlarge the window\nor make the font smaller.\nIt is drawn as soon as it fits."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_too_wide_or_too_tall_says_what_it_needs() {
        let picture = "█████\n█   █\n█████";
        assert_eq!(needed(picture, 2), (5, 5));
        assert_eq!(check((5, 5), Some((5, 5))), Ok(()));
        assert_eq!(check((5, 5), None), Ok(()));
        assert_eq!(
            check((49, 27), Some((40, 30))),
            Err("The terminal is 40 x 30;\nthe code needs 49 x 27\n(columns x rows).\nA wrapped code cannot be\nscanned: enlarge the window\nor make the font smaller.\nIt is drawn as soon as it fits.".to_owned())
        );
        assert!(check((49, 27), Some((80, 26))).is_err());
    }
}
