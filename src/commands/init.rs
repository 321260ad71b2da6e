//! `guardctl init [--runtime RUNTIME] [DIR]`: writes the runtime's starter
//! repository into DIR. A file that exists is left as it is and named on
//! stderr; every write is atomic. Prints what it wrote and what to run next.

use super::{EXIT_OK, print, usage_error};
use crate::cli::{Global, InitArgs};
use crate::ir::enums::Runtime;

pub fn run(global: &Global, args: &InitArgs) -> u8 {
    let Some(runtime) = Runtime::from_name(&args.runtime) else {
        return usage_error(global, &format!("unknown runtime `{}`", args.runtime));
    };
    let mut written = Vec::new();
    for (path, text) in crate::init::files(runtime) {
        let target = args.dir.join(path);
        if target.exists() {
            crate::errln!("note: `{}` exists: left as it is", target.display());
            continue;
        }
        if let Some(parent) = target.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                return usage_error(
                    global,
                    &format!("cannot create `{}`: {e}", parent.display()),
                );
            }
        }
        if let Err(e) = crate::fsutil::write_atomic(&target, text.as_bytes()) {
            return usage_error(global, &format!("cannot write `{}`: {e}", target.display()));
        }
        written.push(target.display().to_string());
    }
    let mut out = String::new();
    for w in &written {
        out.push_str(&format!("wrote {w}\n"));
    }
    let dir = args.dir.display();
    out.push_str(&format!(
        "next: guardctl lint {dir} && guardctl test {dir} && guardctl compile {dir}\n"
    ));
    print(&out);
    EXIT_OK
}
