//! Why reading a record stopped: the error of the structural index, the walker and the framing
//! (all of which read JSON text a buffer at a time).

/// Why a walk stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkError {
    /// The buffer ended inside the value: more input is needed (or the input is truncated).
    Incomplete,
    /// Not valid JSON at this offset.
    Corrupt(usize, &'static str),
}

pub type WalkResult<T> = Result<T, WalkError>;
