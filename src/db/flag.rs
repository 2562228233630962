//! A boolean column as either database returns it: PostgreSQL's `BOOLEAN` arrives as a bool, while
//! SQLite has no such type and its `INTEGER` 0/1 arrives as a number through `sqlx::Any`.

use sqlx::{
    Any, Decode, Type,
    any::{AnyTypeInfo, AnyTypeInfoKind, AnyValueRef},
    error::BoxDynError,
};

/// Read with `#[sqlx(try_from = "Flag")]` into a `bool` field.
pub(crate) struct Flag(bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <bool as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        matches!(
            ty.kind,
            AnyTypeInfoKind::Bool
                | AnyTypeInfoKind::SmallInt
                | AnyTypeInfoKind::Integer
                | AnyTypeInfoKind::BigInt
        )
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        match <bool as Decode<Any>>::decode(value.clone()) {
            Ok(flag) => Ok(Self(flag)),
            Err(_) => Ok(Self(<i64 as Decode<Any>>::decode(value)? != 0)),
        }
    }
}
