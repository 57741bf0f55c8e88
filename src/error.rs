//! One error type for the whole core: a kind (which becomes the C code) and a
//! message that says what was attempted, on which value, and why it failed.

use std::fmt;
use std::io;

/// What went wrong, in the categories the C API reports as codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A NULL handle or pointer, a number out of range, or a call the object
    /// does not take.
    Invalid,
    /// A string that is not an address of the required kind.
    Address,
    /// A filter pattern that does not compile.
    Regex,
    /// Not there: a fd not registered on the poller, a (group, source) pair
    /// the listener has not joined.
    NotFound,
    /// Already there: a fd registered on the poller, a (group, source) pair
    /// the listener has joined.
    Exists,
    /// A reentrant call that is not allowed.
    Busy,
    /// The object was closed (its handle stays invalid forever).
    Closed,
    /// An internal bug, caught.
    Panic,
    /// The operating system refused; carries the errno.
    Os(i32),
}

/// A failure: its [`Kind`] and a human-readable message with detail.
#[derive(Debug, Clone)]
pub struct Error {
    kind: Kind,
    message: String,
}

/// The core's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A failure of `kind` described by `message`.
    pub fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// An invalid argument.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(Kind::Invalid, message)
    }

    /// A string that is not a usable address.
    pub fn address(message: impl Into<String>) -> Error {
        Error::new(Kind::Address, message)
    }

    /// A closed object or one whose poller is gone (`message` says which).
    pub fn closed(message: impl Into<String>) -> Error {
        Error::new(Kind::Closed, message)
    }

    /// The same error, its message prefixed with `what: ` (the boundary
    /// names the call this way) unless it already starts with it.
    pub fn context(self, what: &str) -> Error {
        if self.message.starts_with(what) {
            return self;
        }
        Error {
            kind: self.kind,
            message: format!("{what}: {}", self.message),
        }
    }

    /// An OS failure while doing `what`: keeps the errno and its text.
    pub fn os(what: impl fmt::Display, err: io::Error) -> Error {
        let errno = err.raw_os_error().unwrap_or(libc::EIO);
        Error::new(Kind::Os(errno), format!("{what}: {}", os_reason(errno)))
    }

    /// The errno of the last failed system call, as an [`Error`].
    pub fn last_os(what: impl fmt::Display) -> Error {
        Error::os(what, io::Error::last_os_error())
    }

    /// The category.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The errno, when the OS refused.
    pub fn errno(&self) -> Option<i32> {
        match self.kind {
            Kind::Os(e) => Some(e),
            _ => None,
        }
    }

    /// The detailed message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// "Address already in use (EADDRINUSE)": the OS text with the errno's name.
pub fn os_reason(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    // io::Error prints "Text (os error N)"; keep the text, name the errno.
    let text = text.split(" (os error").next().unwrap_or(&text).to_string();
    match errno_name(errno) {
        Some(name) => format!("{text} ({name})"),
        None => format!("{text} (errno {errno})"),
    }
}

fn errno_name(errno: i32) -> Option<&'static str> {
    use libc::*;
    Some(match errno {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        EINTR => "EINTR",
        EIO => "EIO",
        EBADF => "EBADF",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EFAULT => "EFAULT",
        EEXIST => "EEXIST",
        ENODEV => "ENODEV",
        EINVAL => "EINVAL",
        EMFILE => "EMFILE",
        ENFILE => "ENFILE",
        ENOSPC => "ENOSPC",
        EPIPE => "EPIPE",
        ENOBUFS => "ENOBUFS",
        EMSGSIZE => "EMSGSIZE",
        ENOPROTOOPT => "ENOPROTOOPT",
        EPROTONOSUPPORT => "EPROTONOSUPPORT",
        EAFNOSUPPORT => "EAFNOSUPPORT",
        EADDRINUSE => "EADDRINUSE",
        EADDRNOTAVAIL => "EADDRNOTAVAIL",
        ENETDOWN => "ENETDOWN",
        ENETUNREACH => "ENETUNREACH",
        ECONNREFUSED => "ECONNREFUSED",
        EHOSTUNREACH => "EHOSTUNREACH",
        ENOTSOCK => "ENOTSOCK",
        EOPNOTSUPP => "EOPNOTSUPP",
        ENXIO => "ENXIO",
        _ => return None,
    })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_error_names_the_errno_and_the_action() {
        let e = Error::os(
            "bind 224.0.0.1:1",
            io::Error::from_raw_os_error(libc::EADDRINUSE),
        );
        assert_eq!(e.kind(), Kind::Os(libc::EADDRINUSE));
        assert!(e.message().starts_with("bind 224.0.0.1:1: "), "{}", e);
        assert!(e.message().ends_with("(EADDRINUSE)"), "{}", e);
    }
}
