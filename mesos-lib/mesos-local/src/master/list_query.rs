//! The query parameters of the master's legacy lists (`/master/tasks`, `/frameworks`,
//! `/slaves`): which items, from where, in which order, read as the real master reads them.

use std::collections::HashMap;

/// `/master/tasks`'s default `limit`.
const TASK_LIMIT: usize = 100;

/// `/master/tasks?limit=&offset=&order=asc|desc&framework_id=&task_id=`.
#[derive(Debug, PartialEq)]
pub(crate) struct TaskQuery {
    pub limit: usize,
    pub offset: usize,
    pub ascending: bool,
    pub framework_id: Option<String>,
    pub task_id: Option<String>,
}

impl TaskQuery {
    /// Reads `query` as the master does: a `limit` or `offset` that is no C `int` is ignored,
    /// a negative one wraps as the master's `size_t` does (`limit=-1` lists everything), and
    /// any `order` but `asc` is descending.
    pub(crate) fn parse(query: &HashMap<String, String>) -> TaskQuery {
        let int = |key: &str| {
            query
                .get(key)
                .and_then(|v| v.parse::<i32>().ok())
                .map(|v| v as isize as usize)
        };
        TaskQuery {
            limit: int("limit").unwrap_or(TASK_LIMIT),
            offset: int("offset").unwrap_or(0),
            ascending: query.get("order").is_some_and(|o| o == "asc"),
            framework_id: query.get("framework_id").cloned(),
            task_id: query.get("task_id").cloned(),
        }
    }

    /// The `limit` items of `items` from `offset` on (`offset + limit` wraps as in C++).
    pub(crate) fn window<T>(&self, items: Vec<T>) -> Vec<T> {
        let end = self.offset.wrapping_add(self.limit).min(items.len());
        items.into_iter().take(end).skip(self.offset).collect()
    }
}

/// Whether `id` passes an optional `…_id=` filter (the master's `IDAcceptor`).
pub(crate) fn accepts(filter: Option<&String>, id: &str) -> bool {
    filter.is_none_or(|f| f == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> TaskQuery {
        TaskQuery::parse(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn reads_the_query_as_the_master_does() {
        let all: Vec<u32> = (0..150).collect();
        assert_eq!(q(&[]).window(all.clone()).len(), 100);
        assert!(!q(&[]).ascending);
        assert!(q(&[("order", "asc")]).ascending);
        assert!(!q(&[("order", "ascending")]).ascending);
        assert_eq!(q(&[("limit", "-1")]).window(all.clone()).len(), 150);
        assert_eq!(q(&[("limit", "x")]).window(all.clone()).len(), 100);
        assert_eq!(
            q(&[("limit", "2"), ("offset", "3")]).window(all.clone()),
            [3, 4]
        );
        // offset + limit wraps to 0: nothing, as on a real master.
        assert!(
            q(&[("limit", "-1"), ("offset", "1")])
                .window(all)
                .is_empty()
        );
        assert!(accepts(None, "a"));
        assert!(!accepts(Some(&"b".to_string()), "a"));
    }
}
