//! The configuration framework of agent-ops' binaries (the terminal shell, the Telegram and
//! Discord bots), kept out of the SDK crate (`agent-core`) that Rust developers depend on.
//!
//! - [`declare`]: each setting declared once, with [`section!`] (file key, environment
//!   variable, flag, type, default, range, description; secret when its type is a
//!   `SecretString`);
//! - [`layers`]: the config file, the environment over it and flags over both, each owner's
//!   table taken as its declared section; every problem collected into one [`SettingsError`]
//!   that names the variable and file key (and the file's line), never a value;
//! - [`file`]: the TOML file, parsed once, with errors that never quote a value;
//! - [`reference`]: a binary's `--help` list, the configuration reference and the sample file,
//!   written from the declarations.

pub mod declare;
pub mod file;
pub mod layers;
pub mod reference;

pub use declare::{
    HttpUrl, Kind, ListenAddress, NumericId, Seconds, Section, Setting, Shown, Table, check,
};
pub use file::{ConfigFile, ConfigFileError};
pub use layers::{Layers, Problem, Problems, SettingsError};
pub use reference::{Binary, help, reference, sample};
