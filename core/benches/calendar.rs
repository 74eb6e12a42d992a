//! Working-day arithmetic over near and far dates: `cargo bench -p jiuzhu-core --bench calendar`.
//! The closed form costs O(years spanned), so 9999-12-31 costs about what next month does.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use jiuzhu_core::calendar::Calendar;

fn bench(c: &mut Criterion) {
    let cal = Calendar::builtin();
    let from: NaiveDate = "2026-03-02".parse().unwrap();
    for (name, to) in [
        ("next_month", "2026-04-02"),
        ("year_2100", "2100-12-31"),
        ("year_9999", "9999-12-31"),
    ] {
        let to: NaiveDate = to.parse().unwrap();
        c.bench_function(&format!("working_days_between/{name}"), |b| {
            b.iter(|| cal.working_days_between(black_box(from), black_box(to)))
        });
    }
    for n in [20u32, 10_000, 2_000_000] {
        c.bench_function(&format!("add_working_days/{n}"), |b| {
            b.iter(|| cal.add_working_days(black_box(from), black_box(n)))
        });
    }
    c.bench_function("working_days_between/to_max_date", |b| {
        b.iter(|| cal.working_days_between(black_box(from), black_box(NaiveDate::MAX)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
