//! Unknown enum values written as numbers.
//!
//! pbjson fails a whole response when an enum field holds a number the protos do not name: it
//! serializes `E::try_from(value).map_err(|_| serde::ser::Error::custom(..))?`. The proto3 JSON
//! mapping writes such values as numbers, and a newer Octane sends them, so each of those calls
//! becomes `Ok::<_, S::Error>(crate::json::EnumOrNumber::<E>::new(value))`, keeping the `?` and
//! the surrounding `collect` of repeated fields as pbjson wrote them.

use anyhow::{Result, bail};
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, parse_quote};

/// Rewrites every enum serialization of one package's serde impls.
pub(super) fn rewrite(file: &mut syn::File) -> Result<()> {
    let mut edit = EnumSerialization::default();
    edit.visit_file_mut(file);
    if edit.refused > 0 {
        bail!(
            "{} enum serializations have a form regen does not know (`map_err` of something \
             other than one `E::try_from(value)`)",
            edit.refused
        );
    }
    Ok(())
}

/// The visitor: rewrites `E::try_from(value).map_err(|_| serde::ser::Error::custom(..))`.
#[derive(Default)]
struct EnumSerialization {
    /// Serialization errors of a shape other than `E::try_from(value)`.
    refused: usize,
}

impl VisitMut for EnumSerialization {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::MethodCall(call) = expr
            && call.method == "map_err"
            && call.args.len() == 1
            && raises_ser_error(&call.args[0])
        {
            match try_from_call(&call.receiver) {
                Some((ty, value)) => {
                    *expr = parse_quote!(
                        Ok::<_, S::Error>(crate::json::EnumOrNumber::<#ty>::new(#value))
                    );
                }
                None => self.refused += 1,
            }
            return;
        }
        visit_mut::visit_expr_mut(self, expr);
    }
}

/// Whether `expr` is a closure whose body is a call of `serde::ser::Error::custom`.
fn raises_ser_error(expr: &Expr) -> bool {
    let Expr::Closure(closure) = expr else {
        return false;
    };
    let Expr::Call(call) = closure.body.as_ref() else {
        return false;
    };
    matches!(call.func.as_ref(), Expr::Path(path)
        if super::syntax::path_name(&path.path) == "serde::ser::Error::custom")
}

/// `E` and `value` of `E::try_from(value)`.
fn try_from_call(expr: &Expr) -> Option<(syn::Path, Expr)> {
    let Expr::Call(call) = expr else {
        return None;
    };
    let Expr::Path(func) = call.func.as_ref() else {
        return None;
    };
    let mut ty = func.path.clone();
    let last = ty.segments.pop()?;
    if last.value().ident != "try_from" || ty.segments.is_empty() || call.args.len() != 1 {
        return None;
    }
    ty.segments.pop_punct();
    Some((ty, call.args[0].clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(code: &str) -> String {
        let mut file = syn::parse_file(code).expect("valid Rust");
        rewrite(&mut file).expect("known shapes");
        prettyplease::unparse(&file)
    }

    fn printed(code: &str) -> String {
        prettyplease::unparse(&syn::parse_file(code).expect("valid Rust"))
    }

    #[test]
    fn singular_and_repeated_enums_serialize_through_enum_or_number() {
        let out = rewritten(
            "fn f() {
                let v = ImageType::try_from(self.r#type).map_err(|_| serde::ser::Error::custom(format!(\"Invalid variant {}\", self.r#type)))?;
                let v = self.data.iter().cloned().map(|v| {
                    RenderPassId::try_from(v).map_err(|_| serde::ser::Error::custom(format!(\"Invalid variant {}\", v)))
                }).collect::<std::result::Result<Vec<_>, _>>()?;
            }",
        );
        let expected = printed(
            "fn f() {
                let v = Ok::<_, S::Error>(crate::json::EnumOrNumber::<ImageType>::new(self.r#type))?;
                let v = self.data.iter().cloned().map(|v| {
                    Ok::<_, S::Error>(crate::json::EnumOrNumber::<RenderPassId>::new(v))
                }).collect::<std::result::Result<Vec<_>, _>>()?;
            }",
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn an_unknown_form_is_refused() {
        let mut file = syn::parse_file(
            "fn f() { let v = convert(self.x).map_err(|_| serde::ser::Error::custom(\"x\"))?; }",
        )
        .expect("valid Rust");
        assert!(rewrite(&mut file).is_err());
    }
}
