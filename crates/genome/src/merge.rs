//! Summing per-site counts over several datasets (the same sites, different samples).

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::{
    counts::{Site, SiteCounts, SiteKey},
    tally::{SiteTally, Tally},
};

/// Sums values site by site: the matching rules of [`MergedCounts`].
#[derive(Debug)]
struct SiteSums<V> {
    sites: IndexMap<(SiteKey, u32), V>,
}

impl<V> Default for SiteSums<V> {
    fn default() -> Self {
        Self {
            sites: IndexMap::new(),
        }
    }
}

impl<V> SiteSums<V> {
    /// Adds one dataset's `(key, value)` pairs, stopping at its first error.
    fn add_dataset<E>(
        &mut self,
        sites: impl IntoIterator<Item = Result<(SiteKey, V), E>>,
        add: impl Fn(&mut V, &V),
    ) -> Result<(), E> {
        let mut rank: HashMap<SiteKey, u32> = HashMap::new();
        for site in sites {
            let (key, value) = site?;
            let nth = rank.entry(key.clone()).or_insert(0);
            let key = (key, *nth);
            *nth += 1;
            match self.sites.get_mut(&key) {
                Some(sum) => add(sum, &value),
                None => {
                    self.sites.insert(key, value);
                }
            }
        }
        Ok(())
    }

    fn sites(&self) -> impl Iterator<Item = (&SiteKey, &V)> {
        self.sites.iter().map(|((key, _), value)| (key, value))
    }
}

/// The sum of the allele counts of several datasets, site by site.
///
/// Sites are matched by CHROM, POS, REF and ALT ([`SiteKey`]) and, when a dataset
/// has several records of one key, by their rank among them (the second `1:100 A>G`
/// of one dataset adds to the second of another). A site missing from a dataset gets
/// nothing from it, as if its samples were not called there (`./.`): the sum is what
/// bcftools computes on `bcftools merge` of the datasets. A site with the same
/// position and REF but other ALTs is another site.
///
/// Memory holds one entry per distinct site (not per sample or per byte).
#[derive(Debug, Default)]
pub struct MergedCounts {
    sums: SiteSums<SiteCounts>,
}

impl MergedCounts {
    /// An empty sum.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one dataset's sites, stopping at its first error.
    pub fn add_dataset<E>(
        &mut self,
        sites: impl IntoIterator<Item = Result<Site, E>>,
    ) -> Result<(), E> {
        self.sums.add_dataset(
            sites
                .into_iter()
                .map(|site| site.map(|s| (s.key, s.counts))),
            SiteCounts::add,
        )
    }

    /// The summed sites, in the order they were first seen.
    pub fn sites(&self) -> impl Iterator<Item = (&SiteKey, &SiteCounts)> {
        self.sums.sites()
    }

    /// How many sites.
    pub fn len(&self) -> usize {
        self.sums.sites.len()
    }

    /// Whether no dataset had a site.
    pub fn is_empty(&self) -> bool {
        self.sums.sites.is_empty()
    }
}

/// The sum of the [`Tally`]s of several datasets, site by site, matched as
/// [`MergedCounts`] matches them: allele counts, case and control counts and genotype
/// counts all add, so Hardy-Weinberg and association tests on the sum are those of
/// the merged dataset.
#[derive(Debug, Default)]
pub struct MergedTallies {
    sums: SiteSums<Tally>,
}

impl MergedTallies {
    /// An empty sum.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one dataset's tallies ([`crate::tally_sites`]), stopping at its first
    /// error.
    pub fn add_dataset<E>(
        &mut self,
        sites: impl IntoIterator<Item = Result<SiteTally, E>>,
    ) -> Result<(), E> {
        self.sums.add_dataset(
            sites.into_iter().map(|site| site.map(|s| (s.key, s.tally))),
            Tally::add,
        )
    }

    /// The summed sites, in the order they were first seen.
    pub fn sites(&self) -> impl Iterator<Item = (&SiteKey, &Tally)> {
        self.sums.sites()
    }

    /// How many sites.
    pub fn len(&self) -> usize {
        self.sums.sites.len()
    }

    /// Whether no dataset had a site.
    pub fn is_empty(&self) -> bool {
        self.sums.sites.is_empty()
    }
}
