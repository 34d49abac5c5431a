//! Ranking metrics by how much they moved over the last 24 hours: by population standard
//! deviation (what Prometheus' `stddev_over_time` gives), or by the coefficient of
//! variation (standard deviation / |mean|), since the raw deviation ranks expensive items
//! first. Rank 1 is the most variable; ties go by metric name. Series need two samples.

use serde::{Deserialize, Serialize};

use crate::metrics::{History, Measure, Subject};

/// What to rank by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RankBy {
    /// Population standard deviation, in the measure's units.
    StdDev,
    /// Standard deviation / |mean| (series with mean 0 are left out).
    CoefficientOfVariation,
}

/// One ranked series.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    /// What it describes.
    pub subject: Subject,
    /// Its name.
    pub name: String,
    /// The ranking's value.
    pub value: f64,
    /// The mean of its samples.
    pub mean: f64,
    /// How many samples it has.
    pub samples: u32,
}

/// Every series of `measure`, most variable first.
pub fn rank(history: &History, measure: Measure, by: RankBy, name: impl Fn(Subject) -> String) -> Vec<Ranked> {
    let mut out: Vec<Ranked> = history
        .iter()
        .filter(|((_, m), s)| *m == measure && s.count() >= 2)
        .filter_map(|(&(subject, _), s)| {
            let (mean, sd) = s.mean_stddev()?;
            let value = match by {
                RankBy::StdDev => sd,
                RankBy::CoefficientOfVariation if mean == 0.0 => return None,
                RankBy::CoefficientOfVariation => sd / mean.abs(),
            };
            Some(Ranked { subject, name: String::new(), value, mean, samples: s.count() })
        })
        .collect();
    for r in &mut out {
        r.name = name(r.subject);
    }
    out.sort_by(|a, b| b.value.total_cmp(&a.value).then_with(|| a.name.cmp(&b.name)));
    out
}
