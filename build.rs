fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_bundled_translations("ui/i18n")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        // Element ids and type names for i-slint-backend-testing queries.
        .with_debug_info(true);
    slint_build::compile_with_config("ui/main_window.slint", config).expect("Slint UI compiles");
    println!("cargo:rerun-if-changed=ui");
}
