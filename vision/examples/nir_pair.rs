//! The near-infrared skin cue ([`jiuzhu_vision::nir::SkinCue`]) on a still pair from a binocular
//! camera: a visible image and a near-infrared image of the same moment (any sizes; the face is found
//! and meshed in each). Prints the lips-over-cheeks ratios and the cue against the `Verifier`'s
//! limits. Used on the only real NIR face pair found in the registries (vision/README.md, Near
//! infrared): `cargo run --release -p jiuzhu-vision --example nir_pair -- VISIBLE.png NIR.png`.

use jiuzhu_vision::image::load_bgr;
use jiuzhu_vision::nir::{NirLimits, SkinCue, visible_lip_ratio};
use jiuzhu_vision::{FacePipeline, ModelPaths};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [visible, nir] = args.as_slice() else {
        return Err("usage: nir_pair VISIBLE NIR".into());
    };
    let paths = ModelPaths::locate();
    let mut pipeline = FacePipeline::load(&paths)?;
    let mut mesh = |path: &str| -> Result<_, Box<dyn std::error::Error>> {
        let img = load_bgr(std::path::Path::new(path))?;
        let dets = pipeline.detect(&img)?;
        let d = dets.first().ok_or(format!("{path}: no face found"))?;
        let lm = pipeline
            .landmarks_at(&img, d)?
            .ok_or(format!("{path}: the mesh sees no face"))?;
        Ok((img, lm))
    };
    let (vis, vis_lm) = mesh(visible)?;
    let (ir, ir_lm) = mesh(nir)?;
    let lips = visible_lip_ratio(&vis, &vis_lm)?.ok_or("visible: lips or cheeks off the image")?;
    let cue = SkinCue::from_ir(&ir, &ir_lm, lips)?
        .ok_or("near infrared: lips or cheeks off the image")?;
    let limits = NirLimits::default();
    println!(
        "visible lips / cheeks {lips:.3}; near infrared lips / cheeks {:.3}; lift {:.3} (skin ≥ {}); spread {:.3} (≥ {}): {}",
        lips + cue.lip_lift,
        cue.lip_lift,
        limits.min_lip_lift,
        cue.structure,
        limits.min_structure,
        if cue.lip_lift >= limits.min_lip_lift && cue.structure >= limits.min_structure {
            "reads as skin"
        } else {
            "reads as not skin"
        }
    );
    Ok(())
}
