//! The DRF sorter (`DRFSorter`): clients ordered by dominant share, the largest fraction of
//! any resource of the cluster they hold, divided by their weight. Hierarchical paths
//! (`eng/web`) form a tree sorted level by level: `eng` competes with its siblings with the
//! sum of its subtree; a client that is also a parent (`eng` beside `eng/web`) sits in a
//! virtual leaf `eng/.` of default weight. Ties go to the client chosen fewer times, then to
//! the smaller path, as `Node::compareDRF` breaks them.

use std::collections::BTreeMap;

/// The weight of a node nobody set one for (`DEFAULT_WEIGHT`).
const DEFAULT_WEIGHT: f64 = 1.0;

const NO_PARENT: usize = usize::MAX;

struct Node {
    /// Full path; a virtual leaf's ends in `/.`.
    path: String,
    weight: f64,
    /// Offered or allocated, per resource name of the totals (subtree summed).
    alloc: Vec<f64>,
    /// Times chosen for allocation (subtree summed).
    count: u64,
    share: f64,
    parent: usize,
    children: Vec<usize>,
    /// The client this leaf is.
    client: Option<usize>,
    active: bool,
}

/// One sorter: its clients, their allocations and the cluster's totals.
pub struct Sorter {
    /// The cluster's total per resource name, in the order allocations are given.
    totals: Vec<f64>,
    nodes: Vec<Node>,
    /// The leaf of each client, in the order they were added.
    leaves: Vec<usize>,
}

impl Sorter {
    /// An empty sorter over a cluster of `totals` (one per resource name counted).
    pub fn new(totals: Vec<f64>) -> Sorter {
        let root = Sorter::node(String::new(), DEFAULT_WEIGHT, NO_PARENT, totals.len());
        Sorter {
            totals,
            nodes: vec![root],
            leaves: Vec::new(),
        }
    }

    fn node(path: String, weight: f64, parent: usize, names: usize) -> Node {
        Node {
            path,
            weight,
            alloc: vec![0.0; names],
            count: 0,
            share: 0.0,
            parent,
            children: Vec::new(),
            client: None,
            active: true,
        }
    }

    fn push(&mut self, path: String, parent: usize, weights: &BTreeMap<String, f64>) -> usize {
        let weight = weights.get(&path).copied().unwrap_or(DEFAULT_WEIGHT);
        let id = self.nodes.len();
        self.nodes
            .push(Sorter::node(path, weight, parent, self.totals.len()));
        if parent != NO_PARENT {
            self.nodes[parent].children.push(id);
        }
        id
    }

    /// Adds a client (active) and returns its index. With `hierarchical`, `/` in its path
    /// nests it under its ancestors, whose weights come from `weights` like its own.
    pub fn add(
        &mut self,
        path: &str,
        hierarchical: bool,
        weights: &BTreeMap<String, f64>,
    ) -> usize {
        let tokens: Vec<&str> = if hierarchical {
            path.split('/').collect()
        } else {
            vec![path]
        };
        let mut at = 0;
        for i in 0..tokens.len() {
            let here = tokens[..=i].join("/");
            let found = self.nodes[at]
                .children
                .iter()
                .copied()
                .find(|c| self.nodes[*c].path == here);
            at = match found {
                Some(c) => {
                    if self.nodes[c].client.is_some() && i + 1 < tokens.len() {
                        self.split_leaf(c, weights);
                    }
                    c
                }
                None => self.push(here, at, weights),
            };
        }
        let leaf = if self.nodes[at].children.is_empty() && self.nodes[at].client.is_none() {
            at
        } else {
            // A parent of other clients: its own allocation sits in a virtual leaf.
            self.push(format!("{}/.", self.nodes[at].path), at, weights)
        };
        let client = self.leaves.len();
        self.nodes[leaf].client = Some(client);
        self.leaves.push(leaf);
        client
    }

    /// Turns leaf `c` into an internal node whose client moves to a virtual leaf `c/.`.
    fn split_leaf(&mut self, c: usize, weights: &BTreeMap<String, f64>) {
        let client = self.nodes[c].client.take().expect("a leaf");
        let active = self.nodes[c].active;
        let virt = self.push(format!("{}/.", self.nodes[c].path), c, weights);
        self.nodes[virt].client = Some(client);
        self.nodes[virt].active = active;
        self.nodes[virt].alloc = self.nodes[c].alloc.clone();
        self.nodes[virt].count = self.nodes[c].count;
        self.nodes[c].active = true;
        self.leaves[client] = virt;
    }

    /// Whether `client` takes part in sorting (an inactive one is left out of the order).
    pub fn set_active(&mut self, client: usize, active: bool) {
        let leaf = self.leaves[client];
        self.nodes[leaf].active = active;
    }

    /// Adds `quantities` (one per resource name) to `client` and its ancestors; `chosen`
    /// counts one more allocation to it (the first tie-breaker).
    pub fn allocated(&mut self, client: usize, quantities: &[f64], chosen: u64) {
        let mut at = self.leaves[client];
        while at != NO_PARENT {
            let node = &mut self.nodes[at];
            for (a, q) in node.alloc.iter_mut().zip(quantities) {
                *a += q;
            }
            node.count += chosen;
            at = node.parent;
        }
    }

    /// How many times `client` was chosen.
    pub fn count(&self, client: usize) -> u64 {
        self.nodes[self.leaves[client]].count
    }

    /// `client`'s weighted dominant share now.
    pub fn share(&self, client: usize) -> f64 {
        self.share_of(self.leaves[client])
    }

    fn share_of(&self, node: usize) -> f64 {
        let n = &self.nodes[node];
        let dominant = n
            .alloc
            .iter()
            .zip(&self.totals)
            .filter(|(_, t)| **t > 0.0)
            .map(|(a, t)| a / t)
            .fold(0.0, f64::max);
        dominant / n.weight
    }

    /// The active clients, smallest weighted dominant share first, level by level.
    pub fn sort(&mut self) -> Vec<usize> {
        for i in 1..self.nodes.len() {
            self.nodes[i].share = self.share_of(i);
        }
        let mut out = Vec::with_capacity(self.leaves.len());
        self.list(0, &mut out);
        out
    }

    fn list(&mut self, at: usize, out: &mut Vec<usize>) {
        let mut children = std::mem::take(&mut self.nodes[at].children);
        let nodes = &self.nodes;
        children.sort_by(|a, b| {
            let (a, b) = (&nodes[*a], &nodes[*b]);
            a.share
                .total_cmp(&b.share)
                .then(a.count.cmp(&b.count))
                .then_with(|| a.path.cmp(&b.path))
        });
        for c in &children {
            match self.nodes[*c].client {
                Some(client) if self.nodes[*c].active => out.push(client),
                Some(_) => {}
                None => self.list(*c, out),
            }
        }
        self.nodes[at].children = children;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_weights() -> BTreeMap<String, f64> {
        BTreeMap::new()
    }

    #[test]
    fn the_smallest_dominant_share_comes_first() {
        // 10 cpus, 100 mem: a holds 3 cpus (0.3), b 20 mem (0.2).
        let mut s = Sorter::new(vec![10.0, 100.0]);
        let a = s.add("a", true, &no_weights());
        let b = s.add("b", true, &no_weights());
        s.allocated(a, &[3.0, 0.0], 1);
        s.allocated(b, &[0.0, 20.0], 1);
        assert_eq!(s.sort(), [b, a]);
        assert!((s.share(a) - 0.3).abs() < 1e-9);
    }

    #[test]
    fn weights_divide_shares_and_ties_go_to_the_less_chosen_then_the_path() {
        let weights: BTreeMap<String, f64> = [("b".to_string(), 3.0)].into();
        let mut s = Sorter::new(vec![10.0]);
        let a = s.add("a", true, &weights);
        let b = s.add("b", true, &weights);
        s.allocated(a, &[1.0], 1);
        s.allocated(b, &[2.0], 1);
        // a: 0.1, b: 0.2 / 3.
        assert_eq!(s.sort(), [b, a]);
        let c = s.add("c", true, &no_weights());
        let d = s.add("d", true, &no_weights());
        s.allocated(d, &[0.0], 2);
        s.allocated(c, &[0.0], 3);
        assert_eq!(s.sort(), [d, c, b, a]);
        let e = s.add("e", true, &no_weights());
        assert_eq!(s.sort(), [e, d, c, b, a]);
        s.set_active(d, false);
        assert_eq!(s.sort(), [e, c, b, a]);
    }

    #[test]
    fn hierarchical_roles_are_sorted_level_by_level() {
        // eng/web and eng/db hold little each but eng as a whole holds more than ops.
        let mut s = Sorter::new(vec![100.0]);
        let web = s.add("eng/web", true, &no_weights());
        let db = s.add("eng/db", true, &no_weights());
        let ops = s.add("ops", true, &no_weights());
        s.allocated(web, &[20.0], 1);
        s.allocated(db, &[10.0], 1);
        s.allocated(ops, &[25.0], 1);
        assert_eq!(s.sort(), [ops, db, web]);
        // A client that is also a parent sits beside its children in a virtual leaf.
        let eng = s.add("eng", true, &no_weights());
        s.allocated(eng, &[5.0], 1);
        assert_eq!(s.sort(), [ops, eng, db, web]);
        // The parent's weight counts at its level.
        let weights: BTreeMap<String, f64> = [("eng".to_string(), 2.0)].into();
        let mut w = Sorter::new(vec![100.0]);
        let web = w.add("eng/web", true, &weights);
        let ops = w.add("ops", true, &weights);
        w.allocated(web, &[40.0], 1);
        w.allocated(ops, &[25.0], 1);
        assert_eq!(w.sort(), [web, ops]);
    }

    #[test]
    fn a_leaf_that_becomes_a_parent_keeps_its_allocation() {
        let mut s = Sorter::new(vec![100.0]);
        let eng = s.add("eng", true, &no_weights());
        s.allocated(eng, &[30.0], 4);
        let web = s.add("eng/web", true, &no_weights());
        assert_eq!(s.count(eng), 4);
        assert!((s.share(eng) - 0.3).abs() < 1e-9);
        let ops = s.add("ops", true, &no_weights());
        s.allocated(ops, &[20.0], 1);
        // eng's subtree (0.3) is above ops (0.2); within eng, web (0) before eng/. (0.3).
        assert_eq!(s.sort(), [ops, web, eng]);
    }
}
