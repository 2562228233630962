//! Values that need care to mean the same in both databases through `sqlx::Any`.

use sqlx::{
    Any, Database, Decode, Encode, Type,
    any::{AnyTypeInfo, AnyTypeInfoKind, AnyValueRef},
    encode::IsNull,
    error::BoxDynError,
};

/// A boolean column as either database returns it: PostgreSQL's `BOOLEAN` arrives as a bool,
/// while SQLite has no such type and its `INTEGER` 0/1 arrives as a number.
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

/// An optional `f64` to bind. sqlx 0.9's `Any` sends a NULL `f64` to PostgreSQL as a NULL `real`
/// (it swaps the two float kinds for NULLs); the statement, prepared once per connection, then
/// takes 4 bytes and refuses a later 8-byte value ("incorrect binary data format"). A NULL `f32`
/// comes out as the NULL `double precision` the column is.
pub(crate) struct OptionalF64(pub Option<f64>);

impl Type<Any> for OptionalF64 {
    fn type_info() -> AnyTypeInfo {
        <f64 as Type<Any>>::type_info()
    }
}

impl Encode<'_, Any> for OptionalF64 {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        match self.0 {
            Some(value) => <f64 as Encode<Any>>::encode_by_ref(&value, buf),
            None => <Option<f32> as Encode<Any>>::encode_by_ref(&None, buf),
        }
    }
}
