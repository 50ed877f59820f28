//! One mechanism for the closed sets whose members are stored and exchanged as slugs
//! (theme, stage, roles, statuses, kinds): [`slug_enum!`] defines the enum with its
//! slugs, `ALL`, `slug()`, `parse()`, `Display`, a `FromStr` whose error is a 400 that
//! lists the allowed values, `Serialize` as the slug, and the diesel mapping to a `TEXT`
//! column on both backends — so rows hold the enum, never a string to re-parse.

/// See the module documentation. `$what` names the set in messages ("stage"), `$code`
/// is the error code of an unknown value ("invalid_stage").
#[macro_export]
macro_rules! slug_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal, $code:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $slug:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: [$name; [$($slug),+].len()] = [$($name::$variant),+];

            pub fn slug(self) -> &'static str {
                match self {
                    $($name::$variant => $slug),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($slug => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.slug())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::AppError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s).ok_or_else(|| {
                    $crate::error::AppError::bad_request(
                        $code,
                        format!(
                            "unknown {} {s:?}; use one of: {}",
                            $what,
                            Self::ALL.map(Self::slug).join(", ")
                        ),
                    )
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.slug())
            }
        }

        $crate::slug_enum!(@backend $name, $what, diesel::sqlite::Sqlite);
        $crate::slug_enum!(@backend $name, $what, diesel::pg::Pg);

        impl diesel::serialize::ToSql<diesel::sql_types::Text, $crate::db::MultiBackend>
            for $name
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $crate::db::MultiBackend>,
            ) -> diesel::serialize::Result {
                out.set_value((diesel::sql_types::Text, self.slug()));
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::db::MultiBackend>
            for $name
        {
            fn from_sql(
                bytes: <$crate::db::MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    $crate::db::MultiBackend,
                >>::from_sql(bytes)?;
                Self::parse(&text)
                    .ok_or_else(|| format!("unknown {} {text:?} in the database", $what).into())
            }
        }
    };
    // Inserts through the multi-backend connection bind through each backend's own
    // implementation, so both are needed beside the multi-backend one.
    (@backend $name:ident, $what:literal, $backend:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, $backend> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $backend>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, $backend>>::to_sql(
                    self.slug(),
                    out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $backend> for $name {
            fn from_sql(
                bytes: <$backend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    $backend,
                >>::from_sql(bytes)?;
                Self::parse(&text)
                    .ok_or_else(|| format!("unknown {} {text:?} in the database", $what).into())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::slug_enum! {
        enum Colour ("colour", "invalid_colour") {
            Red = "red",
            Dark = "dark-blue",
        }
    }

    #[test]
    fn slugs_round_trip_and_unknown_ones_name_the_allowed_values() {
        assert_eq!(Colour::ALL, [Colour::Red, Colour::Dark]);
        assert_eq!("dark-blue".parse::<Colour>().ok(), Some(Colour::Dark));
        assert_eq!(Colour::Dark.to_string(), "dark-blue");
        let error = "green".parse::<Colour>().expect_err("unknown");
        assert_eq!(error.code(), "invalid_colour");
        assert!(error.to_string().contains("red, dark-blue"), "{error}");
        assert_eq!(
            serde_json::to_string(&Colour::Red).ok().as_deref(),
            Some("\"red\"")
        );
    }

    #[test]
    fn a_column_holds_the_slug_on_sqlite() {
        use diesel::prelude::*;
        let dir = tempfile::tempdir().expect("dir");
        let db = crate::db::Database::open(crate::db::Backend::Sqlite {
            path: dir.path().join("t.sqlite3"),
        })
        .expect("open");
        let mut conn = db.connection().expect("conn");
        let got: Colour =
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("'dark-blue'"))
                .get_result(&mut *conn)
                .expect("read");
        assert_eq!(got, Colour::Dark);
        let bad: Result<Colour, _> =
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("'green'"))
                .get_result(&mut *conn);
        assert!(bad.is_err());
    }
}
