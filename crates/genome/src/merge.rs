//! Summing allele counts over several datasets (the same sites, different samples).

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::counts::{Site, SiteCounts, SiteKey};

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
    sites: IndexMap<(SiteKey, u32), SiteCounts>,
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
        let mut rank: HashMap<SiteKey, u32> = HashMap::new();
        for site in sites {
            let site = site?;
            let nth = rank.entry(site.key.clone()).or_insert(0);
            let key = (site.key, *nth);
            *nth += 1;
            match self.sites.get_mut(&key) {
                Some(sum) => sum.add(&site.counts),
                None => {
                    self.sites.insert(key, site.counts);
                }
            }
        }
        Ok(())
    }

    /// The summed sites, in the order they were first seen.
    pub fn sites(&self) -> impl Iterator<Item = (&SiteKey, &SiteCounts)> {
        self.sites.iter().map(|((key, _), counts)| (key, counts))
    }

    /// How many sites.
    pub fn len(&self) -> usize {
        self.sites.len()
    }

    /// Whether no dataset had a site.
    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }
}
