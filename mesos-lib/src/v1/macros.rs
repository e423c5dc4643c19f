//! Macros shared by the v1 types.

/// Declares a protobuf enum that serializes as its proto name and keeps any
/// name it does not know in `Unknown(String)`, so a newer master's values
/// survive a round trip instead of failing deserialization.
#[macro_export]
#[doc(hidden)]
macro_rules! proto_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $proto:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A name this library does not know; kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// Every value the proto defines, in declaration order.
            pub const ALL: &'static [Self] = &[$( Self::$variant, )*];

            /// The proto name of this value, as Mesos writes it in JSON.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $proto, )*
                    Self::Unknown(name) => name.as_str(),
                }
            }

            /// Maps a proto name to a value; unknown names are kept in `Unknown`.
            pub fn from_name(name: &str) -> Self {
                match name {
                    $( $proto => Self::$variant, )*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_name(s))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from_name(&name))
            }
        }
    };
}

/// Declares an ID message (`{"value": "..."}`) with helpers.
#[macro_export]
#[doc(hidden)]
macro_rules! proto_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Default, ::serde::Serialize, ::serde::Deserialize)]
        pub struct $name {
            /// The ID itself.
            pub value: String,
        }

        impl $name {
            /// Builds the ID from any string.
            pub fn new(value: impl Into<String>) -> Self {
                Self { value: value.into() }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.value)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.value
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }
    };
}
