//! Cost of the document camera per 1280×960 frame on one OpenCV thread: the live outline
//! (`find_page`) and the full scan (outline, warp, blur/glare checks, deskew), plus JPEG encoding
//! of the page. Frames: the A4 sheet of `make fixtures` page photos on the wooden-table photo,
//! turned 8° and tilted, and the empty desk. Run `make fixtures` first.

use criterion::{Criterion, criterion_group, criterion_main};
use jiuzhu_vision::document::scene::{
    Conditions, PagePose, a4_sheet, compose, desk, fixture, project,
};
use jiuzhu_vision::document::{self, ScanConfig};
use opencv::prelude::*;

fn bench(c: &mut Criterion) {
    opencv::core::set_num_threads(1).unwrap();
    let desk = desk(
        &fixture("coffee.png").expect("run `make fixtures`"),
        1280,
        960,
    )
    .unwrap();
    let sheet = a4_sheet(
        &[fixture("page.png").unwrap(), fixture("text.png").unwrap()],
        840,
        0.0,
    )
    .unwrap();
    let pose = PagePose {
        rotation_deg: 8.0,
        tilt_x_deg: 6.0,
        tilt_y_deg: -4.0,
        ..PagePose::centred(1280, 960, 560.0)
    };
    let corners = project(sheet.cols(), sheet.rows(), &pose, 1280.0);
    let with_page = document::mat_to_frame(
        &compose(&desk, &[(&sheet, corners)], &Conditions::default(), 1).unwrap(),
    )
    .unwrap();
    let empty =
        document::mat_to_frame(&compose(&desk, &[], &Conditions::default(), 1).unwrap()).unwrap();
    let cfg = ScanConfig::default();
    c.bench_function("find_page_1280x960", |b| {
        b.iter(|| document::find_page(&with_page, &cfg).unwrap())
    });
    c.bench_function("scan_1280x960", |b| {
        b.iter(|| document::scan(&with_page, &cfg).unwrap())
    });
    let whiten = ScanConfig {
        whiten: true,
        ..cfg.clone()
    };
    c.bench_function("scan_whiten_1280x960", |b| {
        b.iter(|| document::scan(&with_page, &whiten).unwrap())
    });
    c.bench_function("empty_desk_1280x960", |b| {
        b.iter(|| document::scan(&empty, &cfg).unwrap_err())
    });
    let page = document::scan(&with_page, &cfg).unwrap();
    c.bench_function("encode_jpeg_q90", |b| {
        b.iter(|| document::encode_jpeg(&page, 90).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
