//! The generated client's public surface: every public type, field and method of the generated
//! source with its signature, one per line.
//!
//! One implementation for two users: `cargo xtask spec diff` compares the surfaces of two specs'
//! generated code, and `crates/agent-api/tests/surface.rs` (which includes this file) snapshots
//! the committed code's surface with insta.

use std::fmt::Write;

use quote::ToTokens;

/// The public surface of generated source, one item per line (what the snapshot shows).
pub fn surface(source: &str) -> Result<String, syn::Error> {
    let file = syn::parse_file(source)?;
    let mut out = String::new();
    walk(&file.items, "", &mut out);
    Ok(out)
}

/// Token text made readable: `:: std :: string :: String` → `::std::string::String`.
fn tidy(tokens: impl ToTokens) -> String {
    let text = tokens.to_token_stream().to_string();
    let mut out = text
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" : ", ": ")
        .replace("{ ", "{")
        .replace(" }", "}")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& ", "&")
        .replace("' a", "'a");
    if out.starts_with(" ") {
        out = out.trim_start().to_string();
    }
    out
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn signature(sig: &syn::Signature) -> String {
    let inputs: Vec<String> = sig.inputs.iter().map(tidy).collect();
    let output = match &sig.output {
        syn::ReturnType::Default => String::new(),
        syn::ReturnType::Type(_, ty) => format!(" -> {}", tidy(ty)),
    };
    let asyncness = if sig.asyncness.is_some() {
        "async "
    } else {
        ""
    };
    let bounds = match &sig.generics.where_clause {
        Some(clause) => format!(" {}", tidy(clause)),
        None => String::new(),
    };
    format!(
        "{asyncness}fn {}{}({}){output}{bounds}",
        sig.ident,
        tidy(&sig.generics),
        inputs.join(", ")
    )
}

fn walk(items: &[syn::Item], path: &str, out: &mut String) {
    for item in items {
        match item {
            syn::Item::Mod(m) if is_pub(&m.vis) => {
                let inner = format!("{path}{}::", m.ident);
                if let Some((_, items)) = &m.content {
                    walk(items, &inner, out);
                }
            }
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                let _ = writeln!(out, "struct {path}{}{}", s.ident, tidy(&s.generics));
                for field in &s.fields {
                    if is_pub(&field.vis) {
                        let name = field
                            .ident
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default();
                        let _ = writeln!(out, "    {name}: {}", tidy(&field.ty));
                    }
                }
            }
            syn::Item::Enum(e) if is_pub(&e.vis) => {
                let _ = writeln!(out, "enum {path}{}", e.ident);
            }
            syn::Item::Use(u) if is_pub(&u.vis) => {
                let _ = writeln!(out, "use {path}{}", tidy(&u.tree));
            }
            syn::Item::Impl(imp) => {
                let target = tidy(&imp.self_ty);
                let scope = if path.is_empty() {
                    "crate"
                } else {
                    path.trim_end_matches("::")
                };
                let header = match &imp.trait_ {
                    Some((tr, _)) => format!("impl {} for {target} (in {scope})", tidy(tr)),
                    None => format!("impl {target} (in {scope})"),
                };
                let methods: Vec<String> = imp
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        syn::ImplItem::Fn(f) if imp.trait_.is_some() || is_pub(&f.vis) => {
                            Some(signature(&f.sig))
                        }
                        _ => None,
                    })
                    .collect();
                let _ = writeln!(out, "{header}");
                for method in methods {
                    let _ = writeln!(out, "    {method}");
                }
            }
            _ => {}
        }
    }
}
