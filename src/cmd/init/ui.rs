//! The questions: one look for every prompt (`? Question [hint]: `, the answer echoed on its own
//! line), and Ctrl-C turned into a clean cancellation instead of a killed process.

use dialoguer::console::{style, Term};
use dialoguer::theme::Theme;
use std::fmt;

/// How `init` stopped early.
#[derive(Debug)]
pub(super) enum Halt {
    /// Ctrl-C at a prompt.
    Cancelled,
    Error(crate::error::Error),
}

impl From<crate::error::Error> for Halt {
    fn from(e: crate::error::Error) -> Self {
        Halt::Error(e)
    }
}

impl From<crate::aws::AwsError> for Halt {
    fn from(e: crate::aws::AwsError) -> Self {
        Halt::Error(e.into())
    }
}

fn halt(e: dialoguer::Error) -> Halt {
    let dialoguer::Error::IO(io) = e;
    if io.kind() == std::io::ErrorKind::Interrupted {
        Halt::Cancelled
    } else {
        Halt::Error(crate::error::Error::Failed(format!(
            "cannot ask on the terminal: {io}"
        )))
    }
}

/// The prompt look.
pub(super) struct Look;

impl Theme for Look {
    fn format_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        write!(f, "{} {prompt}:", style("?").cyan().bold().for_stderr())
    }

    fn format_select_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        self.format_prompt(f, &format!("{prompt} [arrows move, Enter chooses]"))
    }

    fn format_multi_select_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        self.format_prompt(f, &format!("{prompt} [Space toggles, Enter accepts]"))
    }

    fn format_error(&self, f: &mut dyn fmt::Write, err: &str) -> fmt::Result {
        write!(f, "  {} {err}", style("!").red().bold().for_stderr())
    }

    fn format_confirm_prompt(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        default: Option<bool>,
    ) -> fmt::Result {
        let choices = match default {
            Some(true) => "Y/n",
            Some(false) => "y/N",
            None => "y/n",
        };
        write!(
            f,
            "{} {prompt} [{choices}]: ",
            style("?").cyan().bold().for_stderr()
        )
    }

    fn format_confirm_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        selection: Option<bool>,
    ) -> fmt::Result {
        let answer = match selection {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        };
        write!(f, "  {prompt} {}", style(answer).green().for_stderr())
    }

    fn format_input_prompt(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        default: Option<&str>,
    ) -> fmt::Result {
        let mark = style("?").cyan().bold().for_stderr();
        match default {
            Some(d) if !d.is_empty() => write!(f, "{mark} {prompt} [{d}]: "),
            _ => write!(f, "{mark} {prompt}: "),
        }
    }

    fn format_input_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        sel: &str,
    ) -> fmt::Result {
        write!(f, "  {prompt}: {}", style(sel).green().for_stderr())
    }

    fn format_multi_select_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        selections: &[&str],
    ) -> fmt::Result {
        let shown = if selections.is_empty() {
            "none".to_string()
        } else {
            selections
                .iter()
                .map(|s| s.split(' ').next().unwrap_or(s))
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(f, "  {prompt}: {}", style(shown).green().for_stderr())
    }
}

/// Ctrl-C while a prompt reads the keyboard: console reads it as a key and raises SIGINT; with
/// this handler in place the prompt returns `Interrupted` instead of the process dying with the
/// cursor hidden. Only installed around prompts and the confirmation wait, so that Ctrl-C still
/// stops the process during requests.
pub(super) mod ctrl_c {
    use std::sync::atomic::{AtomicBool, Ordering};

    static PRESSED: AtomicBool = AtomicBool::new(false);

    /// Whether Ctrl-C was pressed since the last [`catch`].
    pub(crate) fn pressed() -> bool {
        PRESSED.load(Ordering::SeqCst)
    }

    /// Catches Ctrl-C until the guard is dropped.
    pub(crate) fn catch() -> Guard {
        PRESSED.store(false, Ordering::SeqCst);
        imp::install();
        Guard(())
    }

    pub(crate) struct Guard(());

    impl Drop for Guard {
        fn drop(&mut self) {
            imp::restore();
        }
    }

    #[cfg(unix)]
    mod imp {
        use super::{Ordering, PRESSED};
        use std::os::raw::c_int;

        const SIGINT: c_int = 2;
        const SIG_DFL: usize = 0;

        extern "C" {
            fn signal(signum: c_int, handler: usize) -> usize;
        }

        extern "C" fn on_sigint(_: c_int) {
            PRESSED.store(true, Ordering::SeqCst);
        }

        pub(super) fn install() {
            let handler = on_sigint as extern "C" fn(c_int) as usize;
            // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
            unsafe {
                signal(SIGINT, handler);
            }
        }

        pub(super) fn restore() {
            // SAFETY: restores the default disposition.
            unsafe {
                signal(SIGINT, SIG_DFL);
            }
        }
    }

    #[cfg(not(unix))]
    mod imp {
        pub fn install() {}
        pub fn restore() {}
    }
}

fn term() -> Term {
    Term::stderr()
}

/// A Ctrl-C that came before the prompt read the keyboard (the terminal sent SIGINT instead of
/// the key) still cancels.
fn unless_interrupted<T>(answer: Result<T, Halt>) -> Result<T, Halt> {
    match answer {
        Ok(_) if ctrl_c::pressed() => Err(Halt::Cancelled),
        other => other,
    }
}

/// A free-text question; Enter accepts `default` when there is one.
pub(super) fn input(
    prompt: &str,
    default: Option<&str>,
    mut validate: impl FnMut(&str) -> Result<(), String>,
) -> Result<String, Halt> {
    let _guard = ctrl_c::catch();
    let mut q = dialoguer::Input::<String>::with_theme(&Look)
        .with_prompt(prompt)
        .validate_with(move |v: &String| validate(v.trim()));
    if let Some(d) = default {
        q = q.default(d.to_string());
    }
    let answer = unless_interrupted(q.interact_text_on(&term()).map_err(halt))?;
    Ok(answer.trim().to_string())
}

/// A yes/no question.
pub(super) fn confirm(prompt: &str, default: bool) -> Result<bool, Halt> {
    let _guard = ctrl_c::catch();
    unless_interrupted(
        dialoguer::Confirm::with_theme(&Look)
            .with_prompt(prompt)
            .default(default)
            .interact_on(&term())
            .map_err(halt),
    )
}

/// Items cut to the terminal's width: a wrapped item breaks the redrawing of the list.
fn fitted(items: &[String]) -> Vec<String> {
    let width = usize::from(term().size().1).clamp(40, 200) - 6;
    items.iter().map(|i| super::fit(i, width)).collect()
}

/// One of `items`.
pub(super) fn select(prompt: &str, items: &[String], default: usize) -> Result<usize, Halt> {
    let _guard = ctrl_c::catch();
    unless_interrupted(
        dialoguer::Select::with_theme(&Look)
            .with_prompt(prompt)
            .items(fitted(items))
            .default(default.min(items.len().saturating_sub(1)))
            .max_length(12)
            .interact_on(&term())
            .map_err(halt),
    )
}

/// Some of `items`.
pub(super) fn multi_select(
    prompt: &str,
    items: &[String],
    checked: &[bool],
) -> Result<Vec<usize>, Halt> {
    let _guard = ctrl_c::catch();
    unless_interrupted(
        dialoguer::MultiSelect::with_theme(&Look)
            .with_prompt(prompt)
            .items(fitted(items))
            .defaults(checked)
            .max_length(16)
            .interact_on(&term())
            .map_err(halt),
    )
}

/// After a cancelled prompt: the cursor back, whatever the prompt hid.
pub(super) fn restore_terminal() {
    let _ = term().show_cursor();
}
