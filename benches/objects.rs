//! Object store: the cost of one image event (the engine's answer for that image, applied as an
//! upsert) at 100 and 10k images. It must be flat: a refresh is O(1) in the number of objects.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use skiff::objects::{Image, Object, ObjectItem};
use skiff::registry::objects::ObjectStore;

fn image(i: usize, tag: usize) -> Box<Object> {
    Box::new(Object::Image(Image {
        id: format!("sha256:{i:064x}"),
        engine: "podman".into(),
        tags: vec![format!("registry.example/app-{i}:{tag}")],
        size_bytes: 1_000_000,
        created: 1_700_000_000,
        containers: Vec::new(),
    }))
}

fn store_with(n: usize) -> ObjectStore {
    let mut s = ObjectStore::new("podman");
    let mut out = Vec::new();
    s.apply(ObjectItem::Init, &mut out);
    for i in 0..n {
        s.apply(ObjectItem::Apply(image(i, 0)), &mut out);
    }
    s.apply(ObjectItem::Done, &mut out);
    s
}

fn per_image_event(c: &mut Criterion) {
    let mut group = c.benchmark_group("object_event");
    for n in [100usize, 10_000] {
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            let mut s = store_with(n);
            let mut k = 0usize;
            let mut out = Vec::with_capacity(1);
            b.iter(|| {
                k += 1;
                // A tag changes on a different image each time: every refresh is a real upsert.
                let item = ObjectItem::Refreshed {
                    kind: skiff::objects::Kind::Image,
                    id: format!("sha256:{:064x}", k % n),
                    object: Some(image(k % n, k)),
                };
                s.apply(item, &mut out);
                black_box(out.len());
                out.clear();
            });
        });
    }
    group.finish();
}

criterion_group!(benches, per_image_event);
criterion_main!(benches);
