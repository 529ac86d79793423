//! How pbjson's generated deserializers read a field's value, rewritten to follow two rules of
//! the proto3 JSON mapping that pbjson does not:
//!
//! - `null` is accepted for every field and means the field is absent. pbjson already reads
//!   messages, oneof members and proto3 `optional` fields as `Option`s (so `null` leaves them
//!   unset); scalars, enums, repeated and map fields it reads as `Some(value)`, refusing `null`.
//!   Those reads become `Option` reads too, so `null` leaves them at their default:
//!   `Some(map_.next_value::<T>()?REST)` becomes `map_.next_value::<Option<T>>()?.map(|v| vREST)`.
//! - Enums are open: a number that names no value of the enum is a valid value, as it is on
//!   output. Enum reads (pbjson casts the read enum: `x as i32`) go through
//!   `crate::json::OpenEnum<E>`, which keeps any number in int32's range and hands everything
//!   else (names, out-of-range numbers, wrong types) to `E`'s own deserializer, so errors read
//!   as before; the cast becomes `x.0`.

use anyhow::{Result, bail};
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, GenericArgument, PathArguments, Type, parse_quote};

use super::syntax::is_i32_cast;

/// Rewrites every field read of one package's serde impls (see the module doc).
pub(super) fn rewrite(file: &mut syn::File) -> Result<()> {
    let mut edit = FieldReads::default();
    edit.visit_file_mut(file);
    if let Some(refused) = edit.refused {
        bail!("{refused}");
    }
    let mut casts = EnumCasts::default();
    casts.visit_file_mut(file);
    if casts.found > 0 {
        bail!(
            "pbjson read an enum in a form regen does not know ({} `as i32` casts remain)",
            casts.found
        );
    }
    Ok(())
}

/// The visitor: rewrites `Some(read..)` and `read_of_option.map(|x| .. x as i32 ..)`.
#[derive(Default)]
struct FieldReads {
    /// Why the first unknown read was refused.
    refused: Option<String>,
}

impl VisitMut for FieldReads {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        let rewritten = match expr {
            Expr::Call(call) if is_some(&call.func) && call.args.len() == 1 => {
                nullable_read(&call.args[0])
            }
            Expr::MethodCall(call) if call.method == "map" && is_read(&call.receiver) => {
                optional_enum_read(expr)
            }
            _ => Ok(None),
        };
        match rewritten {
            Ok(Some(new)) => *expr = new,
            Ok(None) => visit_mut::visit_expr_mut(self, expr),
            Err(why) => {
                self.refused.get_or_insert(why);
            }
        }
    }
}

/// Whether `func` is `Some`.
fn is_some(func: &Expr) -> bool {
    matches!(func, Expr::Path(path) if path.path.is_ident("Some"))
}

/// Whether `expr` is `map_.next_value()?` or `map_.next_value::<T>()?`.
fn is_read(expr: &Expr) -> bool {
    let Expr::Try(read) = expr else {
        return false;
    };
    matches!(read.expr.as_ref(), Expr::MethodCall(call)
        if call.method == "next_value"
            && call.args.is_empty()
            && matches!(call.receiver.as_ref(), Expr::Path(p) if p.path.is_ident("map_")))
}

/// The type `T` of a read `map_.next_value::<T>()?` (`_` when pbjson left it to inference).
fn read_type(read: &Expr) -> Type {
    if let Expr::Try(read) = read
        && let Expr::MethodCall(call) = read.expr.as_ref()
        && let Some(turbofish) = &call.turbofish
        && let Some(GenericArgument::Type(ty)) = turbofish.args.first()
    {
        return ty.clone();
    }
    parse_quote!(_)
}

/// Replaces the read at the root of `expr` (through method calls, fields and casts) with `v`,
/// returning the read.
fn take_read(expr: &mut Expr) -> Option<Expr> {
    if is_read(expr) {
        return Some(std::mem::replace(expr, parse_quote!(v)));
    }
    match expr {
        Expr::MethodCall(call) => take_read(&mut call.receiver),
        Expr::Field(field) => take_read(&mut field.base),
        Expr::Cast(cast) => take_read(&mut cast.expr),
        _ => None,
    }
}

/// `Some(map_.next_value::<T>()?REST)` as an `Option` read; `None` when the argument of `Some`
/// is not a read.
fn nullable_read(argument: &Expr) -> Result<Option<Expr>, String> {
    let mut rest = argument.clone();
    let Some(read) = take_read(&mut rest) else {
        return Ok(None);
    };
    let mut ty = read_type(&read);
    if is_i32_cast(&rest) {
        // A singular enum: `E` read, then cast.
        if matches!(ty, Type::Infer(_)) {
            return Err("an enum read without its type".to_owned());
        }
        ty = parse_quote!(crate::json::OpenEnum<#ty>);
        rest = parse_quote!(v.0);
    } else if open_enum_casts(&mut rest) > 0 {
        // A repeated or map-valued enum: the element or value type is the enum.
        ty = open_last_type_argument(ty)?;
    }
    let read: Expr = parse_quote!(map_.next_value::<::std::option::Option<#ty>>()?);
    Ok(Some(
        if matches!(&rest, Expr::Path(p) if p.path.is_ident("v")) {
            read
        } else {
            parse_quote!(#read.map(|v| #rest))
        },
    ))
}

/// An enum field with presence (proto3 `optional`, oneof member), which pbjson already reads as
/// `Option<E>` and casts in the closure: `map_.next_value::<Option<E>>()?.map(|x| F(x as i32))`.
fn optional_enum_read(expr: &Expr) -> Result<Option<Expr>, String> {
    let mut expr = expr.clone();
    let Expr::MethodCall(call) = &mut expr else {
        return Ok(None);
    };
    let Some(closure) = call.args.first_mut() else {
        return Ok(None);
    };
    if open_enum_casts(closure) == 0 {
        return Ok(None);
    }
    let ty = open_last_type_argument(read_type(&call.receiver))?;
    *call.receiver = parse_quote!(map_.next_value::<#ty>()?);
    Ok(Some(expr))
}

/// Wraps the last type argument of `ty` in `OpenEnum`: `Vec<E>`, `HashMap<K, E>`, `Option<E>`.
fn open_last_type_argument(mut ty: Type) -> Result<Type, String> {
    const REFUSED: &str = "an enum read whose type has no type argument for the enum";
    let Type::Path(path) = &mut ty else {
        return Err(REFUSED.to_owned());
    };
    let last = path
        .path
        .segments
        .last_mut()
        .and_then(|segment| match &mut segment.arguments {
            PathArguments::AngleBracketed(arguments) => arguments.args.last_mut(),
            _ => None,
        });
    let Some(GenericArgument::Type(element)) = last else {
        return Err(REFUSED.to_owned());
    };
    *element = parse_quote!(crate::json::OpenEnum<#element>);
    Ok(ty)
}

/// Rewrites every `x as i32` in `expr` to `x.0`; the count.
fn open_enum_casts(expr: &mut Expr) -> usize {
    /// The visitor.
    struct Casts(usize);
    impl VisitMut for Casts {
        fn visit_expr_mut(&mut self, expr: &mut Expr) {
            if is_i32_cast(expr)
                && let Expr::Cast(cast) = expr
            {
                let inner = &cast.expr;
                *expr = parse_quote!(#inner.0);
                self.0 += 1;
                return;
            }
            visit_mut::visit_expr_mut(self, expr);
        }
    }
    let mut casts = Casts(0);
    casts.visit_expr_mut(expr);
    casts.0
}

/// Counts the `as i32` casts left anywhere.
#[derive(Default)]
struct EnumCasts {
    found: usize,
}

impl VisitMut for EnumCasts {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if is_i32_cast(expr) {
            self.found += 1;
        }
        visit_mut::visit_expr_mut(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(code: &str) -> String {
        prettyplease::unparse(&syn::parse_file(code).expect("valid Rust"))
    }

    fn rewritten(code: &str) -> Result<String> {
        let mut file = syn::parse_file(code).expect("valid Rust");
        rewrite(&mut file)?;
        Ok(prettyplease::unparse(&file))
    }

    #[test]
    fn reads_without_presence_become_option_reads() {
        let code = "fn f() {
            a__ = Some(map_.next_value()?);
            b__ = Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0);
            c__ = Some(map_.next_value::<Vec<::pbjson::private::NumberDeserialize<_>>>()?
                .into_iter().map(|x| x.0).collect());
            d__ = Some(map_.next_value::<ImageType>()? as i32);
            e__ = Some(map_.next_value::<Vec<PinId>>()?.into_iter().map(|x| x as i32).collect());
            f__ = Some(map_.next_value::<std::collections::HashMap<_, Mode>>()?
                .into_iter().map(|(k,v)| (k, v as i32)).collect());
            g__ = map_.next_value()?;
        }";
        assert_eq!(
            rewritten(code).expect("known shapes"),
            printed("fn f() {
                a__ = map_.next_value::<::std::option::Option<_>>()?;
                b__ = map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|v| v.0);
                c__ = map_.next_value::<::std::option::Option<Vec<::pbjson::private::NumberDeserialize<_>>>>()?.map(|v| v.into_iter().map(|x| x.0).collect());
                d__ = map_.next_value::<::std::option::Option<crate::json::OpenEnum<ImageType>>>()?.map(|v| v.0);
                e__ = map_.next_value::<::std::option::Option<Vec<crate::json::OpenEnum<PinId>>>>()?.map(|v| v.into_iter().map(|x| x.0).collect());
                f__ = map_.next_value::<::std::option::Option<std::collections::HashMap<_, crate::json::OpenEnum<Mode>>>>()?.map(|v| v.into_iter().map(|(k,v)| (k, v.0)).collect());
                g__ = map_.next_value()?;
            }")
        );
    }

    #[test]
    fn enums_with_presence_are_read_open() {
        let code = "fn f() {
            x__ = map_.next_value::<::std::option::Option<Mode>>()?.map(|x| x as i32);
            y__ = map_.next_value::<::std::option::Option<Mode>>()?.map(|x| o::Value::M(x as i32));
        }";
        assert_eq!(
            rewritten(code).expect("known shapes"),
            printed("fn f() {
                x__ = map_.next_value::<::std::option::Option<crate::json::OpenEnum<Mode>>>()?.map(|x| x.0);
                y__ = map_.next_value::<::std::option::Option<crate::json::OpenEnum<Mode>>>()?.map(|x| o::Value::M(x.0));
            }")
        );
    }

    #[test]
    fn an_unknown_enum_read_is_refused() {
        assert!(
            rewritten("fn f() { z__ = Some(other(map_.next_value::<Mode>()? as i32)); }").is_err()
        );
    }
}
