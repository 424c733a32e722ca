//! CPU detection, the `TROPICAL_BLAS_ISA` override, and the choice of level.

use std::str::FromStr;
use std::sync::OnceLock;

use crate::error::Error;
use crate::isa::IsaLevel;

/// The name of the environment variable that caps the ISA level.
pub const ISA_ENV_VAR: &str = "TROPICAL_BLAS_ISA";

/// The name of the environment variable that turns the float `+` on the
/// multiply-add units `on` or `off` for every CPU (unset: where
/// `binding::select` knows it to be faster).
pub const ADD_ON_FMA_ENV_VAR: &str = "TROPICAL_BLAS_ADD_ON_FMA";

/// The name of the environment variable that makes the AVX-512 tiles of
/// 8-byte and bool elements one vector wide (`on`) or two (`off`) for
/// every CPU (unset: as `binding::select` knows to be faster).
pub const NARROW_TILES_ENV_VAR: &str = "TROPICAL_BLAS_NARROW_TILES";

impl FromStr for IsaLevel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "scalar" => Ok(IsaLevel::Scalar),
            "avx2" => Ok(IsaLevel::Avx2),
            "avx512" => Ok(IsaLevel::Avx512),
            "avx512fp16" => Ok(IsaLevel::Avx512Fp16),
            _ => Err(Error::InvalidIsaSetting {
                value: s.to_string(),
            }),
        }
    }
}

/// The best level this CPU runs, detected once.
pub fn detected_isa() -> IsaLevel {
    static DETECTED: OnceLock<IsaLevel> = OnceLock::new();
    *DETECTED.get_or_init(detect)
}

/// The AVX-512 level needs avx512f and avx512bw (the 16-bit lanes of the
/// i16 kernels): every AVX-512 CPU since Skylake-SP has both; one with F
/// alone (Xeon Phi) runs the AVX2 level.
#[cfg(target_arch = "x86_64")]
fn detect() -> IsaLevel {
    let avx512 = is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx2");
    if avx512 && is_x86_feature_detected!("avx512fp16") {
        IsaLevel::Avx512Fp16
    } else if avx512 {
        IsaLevel::Avx512
    } else if is_x86_feature_detected!("avx2") {
        IsaLevel::Avx2
    } else {
        IsaLevel::Scalar
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> IsaLevel {
    IsaLevel::Scalar
}

/// The cap set by `TROPICAL_BLAS_ISA`, read once per process.
pub(crate) fn env_cap() -> Result<Option<IsaLevel>, Error> {
    static CAP: OnceLock<Result<Option<IsaLevel>, Error>> = OnceLock::new();
    CAP.get_or_init(|| match std::env::var(ISA_ENV_VAR) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => value.parse().map(Some),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(raw)) => Err(Error::InvalidIsaSetting {
            value: raw.to_string_lossy().into_owned(),
        }),
    })
    .clone()
}

/// The setting of `TROPICAL_BLAS_ADD_ON_FMA` (`Ok(None)` when unset or
/// empty), read once per process.
pub(crate) fn add_on_fma_setting() -> Result<Option<bool>, Error> {
    static SETTING: OnceLock<Result<Option<bool>, Error>> = OnceLock::new();
    SETTING
        .get_or_init(|| {
            on_off_setting(ADD_ON_FMA_ENV_VAR, |value| Error::InvalidAddOnFmaSetting {
                value,
            })
        })
        .clone()
}

/// The setting of `TROPICAL_BLAS_NARROW_TILES` (`Ok(None)` when unset or
/// empty), read once per process.
pub(crate) fn narrow_tiles_setting() -> Result<Option<bool>, Error> {
    static SETTING: OnceLock<Result<Option<bool>, Error>> = OnceLock::new();
    SETTING
        .get_or_init(|| {
            on_off_setting(NARROW_TILES_ENV_VAR, |value| {
                Error::InvalidNarrowTilesSetting { value }
            })
        })
        .clone()
}

/// An `on`/`off` switch from the environment: `Ok(None)` when unset or
/// empty, `invalid(value)` when it is anything else.
fn on_off_setting(variable: &str, invalid: fn(String) -> Error) -> Result<Option<bool>, Error> {
    let value = match std::env::var(variable) {
        Ok(value) => value,
        Err(std::env::VarError::NotPresent) => return Ok(None),
        Err(std::env::VarError::NotUnicode(raw)) => {
            return Err(invalid(raw.to_string_lossy().into_owned()));
        }
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "on" => Ok(Some(true)),
        "off" => Ok(Some(false)),
        _ => Err(invalid(value)),
    }
}

/// The level a call runs at: the explicit request, else the environment
/// cap, else the detected level. Asking for more than the CPU has is an
/// error, never a silent fallback; so is an invalid
/// `TROPICAL_BLAS_ADD_ON_FMA` or `TROPICAL_BLAS_NARROW_TILES`, whatever
/// the level.
pub(crate) fn resolve_level(requested: Option<IsaLevel>) -> Result<IsaLevel, Error> {
    add_on_fma_setting()?;
    narrow_tiles_setting()?;
    let detected = detected_isa();
    // An explicit request overrides the environment, whatever it holds
    // (even a value that does not parse).
    let level = match requested {
        Some(level) => level,
        None => env_cap()?.unwrap_or(detected),
    };
    if level > detected {
        return Err(Error::IsaUnavailable {
            requested: level,
            detected,
        });
    }
    Ok(level)
}

/// The level calls with a default [`GemmConfig`](crate::GemmConfig) run at,
/// or the error they return (a bad `TROPICAL_BLAS_ISA`,
/// `TROPICAL_BLAS_ADD_ON_FMA` or `TROPICAL_BLAS_NARROW_TILES`).
pub fn active_isa() -> Result<IsaLevel, Error> {
    resolve_level(None)
}
