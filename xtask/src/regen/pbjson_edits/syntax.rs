//! Questions the edits ask of pbjson's syntax tree.

use syn::{Expr, ItemImpl, Type};

/// A path as pbjson writes it, segments joined by `::` (`api_item::GetValueResponse`).
pub(super) fn path_name(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// The type an `impl serde::TRAIT for TYPE` is for, when `item` is such an impl.
pub(super) fn impl_of(item: &ItemImpl, trait_name: &str) -> Option<String> {
    let (_, path, _) = item.trait_.as_ref()?;
    if path.segments.last()?.ident != trait_name {
        return None;
    }
    match item.self_ty.as_ref() {
        Type::Path(ty) => Some(path_name(&ty.path)),
        _ => None,
    }
}

/// Whether `expr` is the string literal `value`.
pub(super) fn is_str(expr: &Expr, value: &str) -> bool {
    matches!(expr, Expr::Lit(lit) if matches!(&lit.lit, syn::Lit::Str(s) if s.value() == value))
}

/// Whether `expr` is `INNER as i32`, pbjson's cast of a deserialized enum to the field's type.
pub(super) fn is_i32_cast(expr: &Expr) -> bool {
    matches!(expr, Expr::Cast(cast) if matches!(cast.ty.as_ref(), Type::Path(ty) if ty.path.is_ident("i32")))
}
