//! Finding the sources an answer cites: `[n]`, `[n, m]` and `[n][m]`.

use std::collections::BTreeSet;

/// The distinct source numbers cited in `answer`, in ascending order, keeping only those in
/// `1..=available`.
pub(crate) fn cited_numbers(answer: &str, available: usize) -> Vec<usize> {
    let mut found = BTreeSet::new();
    let mut rest = answer;
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(']') else { break };
        let inside = &rest[..close];
        let numbers: Option<Vec<usize>> = inside
            .split(',')
            .map(|part| part.trim().parse::<usize>().ok())
            .collect();
        if let Some(numbers) = numbers {
            found.extend(numbers.into_iter().filter(|n| (1..=available).contains(n)));
        }
        rest = &rest[close + 1..];
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_citation_form() {
        assert_eq!(cited_numbers("A [1] and B [2, 3].", 5), [1, 2, 3]);
        assert_eq!(cited_numbers("Both [1][4]; again [1].", 5), [1, 4]);
        assert_eq!(cited_numbers("Spaced [ 2 ,5 ]", 5), [2, 5]);
    }

    #[test]
    fn drops_numbers_without_a_chunk_and_ignores_other_brackets() {
        assert_eq!(cited_numbers("See [7] and [0] and [2]", 3), [2]);
        assert_eq!(
            cited_numbers("a [link](x) and [x, 1] and [2", 3),
            Vec::<usize>::new()
        );
        assert_eq!(cited_numbers("no sources", 3), Vec::<usize>::new());
    }
}
