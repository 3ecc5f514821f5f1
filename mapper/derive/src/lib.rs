//! `#[derive(Model)]`: binds a serde struct to a DynamoDB table, its key attributes, its indexes,
//! its optimistic-locking version attribute and its schema version.
//!
//! ```ignore
//! #[derive(Serialize, Deserialize, Model)]
//! #[dynamodb(table = "users", hash_key = "name")]
//! #[dynamodb(gsi(name = "by_team", hash_key = "team", projection = "keys_only"))]
//! struct User { name: String, team: String, age: u32 }
//! ```
//!
//! An internally tagged enum (`#[serde(tag = "kind")]`) of struct variants is a polymorphic
//! model: every variant holds the key attributes, the attributes all variants share get typed
//! handles, and so does the discriminator.
//!
//! The derive also gives the type an inherent `key` function taking each key part as its
//! field's type: `User::key("ann")`, `Post::key("intro", 3)`.
//!
//! Attribute names follow serde: a field's `#[serde(rename = "...")]` and the container's
//! `#[serde(rename_all = "...")]` are honoured, and skipped or flattened fields get no typed
//! [`Field`](../dynamodb_mapper/struct.Field.html) handle.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::meta::ParseNestedMeta;
use syn::{parse_macro_input, Data, DeriveInput, Fields, LitInt, LitStr, Type};

/// Implements `Model` for a serde struct from its `#[dynamodb(...)]` attributes (see the crate
/// docs): table, keys, indexes, version attribute and schema version.
#[proc_macro_derive(Model, attributes(dynamodb))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

#[derive(Default)]
struct Index {
    name: String,
    hash: Option<String>,
    range: Option<String>,
    projection: Option<String>,
    local: bool,
}

#[derive(Default)]
struct Container {
    table: Option<String>,
    hash: Option<String>,
    range: Option<String>,
    version: Option<String>,
    ttl: Option<String>,
    schema_version: Option<u32>,
    migrate: Option<syn::Path>,
    indexes: Vec<Index>,
    rename_all: Option<String>,
    rename_all_fields: Option<String>,
    /// serde's `tag`: the discriminator attribute of an internally tagged enum.
    tag: Option<String>,
    /// serde's `content` or `untagged`, which a model cannot be.
    not_internally_tagged: bool,
}

/// Consumes a serde meta item we do not interpret (`default`, `with = "..."`, `rename(...)`).
fn skip_meta(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|m| skip_meta(&m))?;
    }
    Ok(())
}

fn string(meta: &ParseNestedMeta) -> syn::Result<String> {
    Ok(meta.value()?.parse::<LitStr>()?.value())
}

fn parse_index(meta: &ParseNestedMeta, local: bool) -> syn::Result<Index> {
    let mut index = Index {
        local,
        ..Index::default()
    };
    meta.parse_nested_meta(|m| {
        if m.path.is_ident("name") {
            index.name = string(&m)?;
        } else if m.path.is_ident("hash_key") && !local {
            index.hash = Some(string(&m)?);
        } else if m.path.is_ident("range_key") {
            index.range = Some(string(&m)?);
        } else if m.path.is_ident("projection") {
            index.projection = Some(string(&m)?);
        } else {
            return Err(m.error(if local {
                "expected `name`, `range_key` or `projection`"
            } else {
                "expected `name`, `hash_key`, `range_key` or `projection`"
            }));
        }
        Ok(())
    })?;
    if index.name.is_empty() {
        return Err(meta.error("an index needs a `name`"));
    }
    if !local && index.hash.is_none() {
        return Err(meta.error("a global secondary index needs a `hash_key`"));
    }
    if local && index.range.is_none() {
        return Err(meta.error("a local secondary index needs a `range_key`"));
    }
    Ok(index)
}

fn container(input: &DeriveInput) -> syn::Result<Container> {
    let mut c = Container::default();
    for attr in &input.attrs {
        if attr.path().is_ident("dynamodb") {
            attr.parse_nested_meta(|meta| {
                let p = &meta.path;
                if p.is_ident("table") {
                    c.table = Some(string(&meta)?);
                } else if p.is_ident("hash_key") {
                    c.hash = Some(string(&meta)?);
                } else if p.is_ident("range_key") {
                    c.range = Some(string(&meta)?);
                } else if p.is_ident("version") {
                    c.version = Some(string(&meta)?);
                } else if p.is_ident("ttl") {
                    c.ttl = Some(string(&meta)?);
                } else if p.is_ident("schema_version") {
                    c.schema_version = Some(meta.value()?.parse::<LitInt>()?.base10_parse()?);
                } else if p.is_ident("migrate") {
                    c.migrate = Some(meta.value()?.parse::<LitStr>()?.parse()?);
                } else if p.is_ident("gsi") {
                    c.indexes.push(parse_index(&meta, false)?);
                } else if p.is_ident("lsi") {
                    c.indexes.push(parse_index(&meta, true)?);
                } else {
                    return Err(meta.error(
                        "expected `table`, `hash_key`, `range_key`, `version`, `ttl`, \
                         `schema_version`, `migrate`, `gsi(...)` or `lsi(...)`",
                    ));
                }
                Ok(())
            })?;
        } else if attr.path().is_ident("serde") {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename_all") && meta.input.peek(syn::Token![=]) {
                    c.rename_all = Some(string(&meta)?);
                    Ok(())
                } else if meta.path.is_ident("rename_all_fields") {
                    c.rename_all_fields = Some(string(&meta)?);
                    Ok(())
                } else if meta.path.is_ident("tag") {
                    c.tag = Some(string(&meta)?);
                    Ok(())
                } else if meta.path.is_ident("content") || meta.path.is_ident("untagged") {
                    c.not_internally_tagged = true;
                    skip_meta(&meta)
                } else {
                    skip_meta(&meta)
                }
            })?;
        }
    }
    Ok(c)
}

/// serde's `rename_all` rules, applied to a snake_case field name.
fn rename(rule: Option<&str>, field: &str) -> String {
    let words: Vec<&str> = field.split('_').filter(|w| !w.is_empty()).collect();
    let cap = |w: &str| {
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    };
    match rule {
        Some("lowercase") => field.to_lowercase(),
        Some("UPPERCASE") => field.to_uppercase(),
        Some("PascalCase") => words.iter().map(|w| cap(w)).collect(),
        Some("camelCase") => words
            .iter()
            .enumerate()
            .map(|(i, w)| if i == 0 { w.to_string() } else { cap(w) })
            .collect(),
        Some("SCREAMING_SNAKE_CASE") => field.to_uppercase(),
        Some("kebab-case") => field.replace('_', "-"),
        Some("SCREAMING-KEBAB-CASE") => field.replace('_', "-").to_uppercase(),
        _ => field.to_string(),
    }
}

struct FieldInfo {
    ident: syn::Ident,
    attribute: String,
    ty: Type,
}

/// serde's `rename_all` rules, applied to a PascalCase variant name.
fn rename_variant(rule: Option<&str>, variant: &str) -> String {
    let mut snake = String::new();
    for (i, ch) in variant.char_indices() {
        if ch.is_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.extend(ch.to_lowercase());
    }
    match rule {
        Some("lowercase") => variant.to_lowercase(),
        Some("UPPERCASE") => variant.to_uppercase(),
        Some("camelCase") => {
            let mut c = variant.chars();
            c.next()
                .map(|f| f.to_lowercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        }
        Some("snake_case") => snake,
        Some("SCREAMING_SNAKE_CASE") => snake.to_uppercase(),
        Some("kebab-case") => snake.replace('_', "-"),
        Some("SCREAMING-KEBAB-CASE") => snake.replace('_', "-").to_uppercase(),
        _ => variant.to_string(),
    }
}

/// The serialized fields of a struct, or of one variant of an enum.
fn named_fields(named: &syn::FieldsNamed, rule: Option<&str>) -> syn::Result<Vec<FieldInfo>> {
    let mut out = Vec::new();
    for f in &named.named {
        let ident = f.ident.clone().expect("named field");
        let raw = ident.to_string();
        let raw = raw.strip_prefix("r#").unwrap_or(&raw).to_string();
        let mut attribute = rename(rule, &raw);
        let mut skipped = false;
        for attr in f.attrs.iter().filter(|a| a.path().is_ident("serde")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") && meta.input.peek(syn::Token![=]) {
                    attribute = string(&meta)?;
                } else if meta.path.is_ident("skip")
                    || meta.path.is_ident("skip_serializing")
                    || meta.path.is_ident("flatten")
                {
                    skipped = true;
                } else {
                    skip_meta(&meta)?;
                }
                Ok(())
            })?;
        }
        if !skipped {
            out.push(FieldInfo {
                ident,
                attribute,
                ty: f.ty.clone(),
            });
        }
    }
    Ok(out)
}

/// What the derive learns from the type's body: the fields every item has, and for an enum
/// its variants' names as stored in the discriminator.
struct Shape {
    fields: Vec<FieldInfo>,
    variants: Vec<String>,
}

fn shape(input: &DeriveInput, c: &Container) -> syn::Result<Shape> {
    let name = &input.ident;
    match &input.data {
        Data::Struct(data) => {
            let Fields::Named(named) = &data.fields else {
                return Err(syn::Error::new_spanned(
                    name,
                    "#[derive(Model)] needs a struct with named fields",
                ));
            };
            Ok(Shape {
                fields: named_fields(named, c.rename_all.as_deref())?,
                variants: Vec::new(),
            })
        }
        Data::Enum(data) => {
            if c.tag.is_none() || c.not_internally_tagged {
                return Err(syn::Error::new_spanned(
                    name,
                    "#[derive(Model)] on an enum needs an internally tagged enum: \
                     #[serde(tag = \"...\")] names the discriminator attribute",
                ));
            }
            let mut common: Option<Vec<FieldInfo>> = None;
            let mut variants = Vec::new();
            for v in &data.variants {
                let mut stored = rename_variant(c.rename_all.as_deref(), &v.ident.to_string());
                let mut rule = c.rename_all_fields.clone();
                let mut skipped = false;
                for attr in v.attrs.iter().filter(|a| a.path().is_ident("serde")) {
                    attr.parse_nested_meta(|meta| {
                        if meta.path.is_ident("rename") && meta.input.peek(syn::Token![=]) {
                            stored = string(&meta)?;
                        } else if meta.path.is_ident("rename_all")
                            && meta.input.peek(syn::Token![=])
                        {
                            rule = Some(string(&meta)?);
                        } else if meta.path.is_ident("skip")
                            || meta.path.is_ident("skip_deserializing")
                        {
                            skipped = true;
                        } else {
                            skip_meta(&meta)?;
                        }
                        Ok(())
                    })?;
                }
                if skipped {
                    continue;
                }
                let Fields::Named(named) = &v.fields else {
                    return Err(syn::Error::new_spanned(
                        &v.ident,
                        "#[derive(Model)]: each variant of a model enum is a struct variant \
                         holding the key attributes",
                    ));
                };
                let fields = named_fields(named, rule.as_deref())?;
                common = Some(match common {
                    None => fields,
                    Some(before) => before
                        .into_iter()
                        .filter(|f| {
                            let ft = &f.ty;
                            fields.iter().any(|g| {
                                let gt = &g.ty;
                                g.attribute == f.attribute
                                    && quote!(#gt).to_string() == quote!(#ft).to_string()
                            })
                        })
                        .collect(),
                });
                variants.push(stored);
            }
            let Some(fields) = common else {
                return Err(syn::Error::new_spanned(
                    name,
                    "a model enum needs a variant",
                ));
            };
            Ok(Shape { fields, variants })
        }
        Data::Union(_) => Err(syn::Error::new_spanned(
            name,
            "#[derive(Model)] needs a struct or an internally tagged enum",
        )),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let name = &input.ident;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "#[derive(Model)] does not support generic structs",
        ));
    }
    let c = container(input)?;
    let (Some(table), Some(hash)) = (&c.table, &c.hash) else {
        return Err(syn::Error::new_spanned(
            name,
            "#[dynamodb(table = \"...\", hash_key = \"...\")] is required",
        ));
    };
    let Shape { fields, variants } = shape(input, &c)?;
    let find = |attr: &str| -> syn::Result<&FieldInfo> {
        fields.iter().find(|f| f.attribute == attr).ok_or_else(|| {
            syn::Error::new_spanned(
                name,
                if variants.is_empty() {
                    format!("no serialized field is stored as the attribute `{attr}`")
                } else {
                    format!(
                        "not every variant has a field stored as the attribute `{attr}` \
                         (of one type)"
                    )
                },
            )
        })
    };
    let key_type = |attr: &str| -> syn::Result<Tokens> {
        let ty = &find(attr)?.ty;
        Ok(quote!(<#ty as ::dynamodb_mapper::KeyAttribute>::TYPE))
    };
    let hash_field = find(hash)?;
    let hash_ty = &hash_field.ty;
    let hash_type = key_type(hash)?;
    let (range_const, range_type_const, range_ty) = match &c.range {
        Some(r) => {
            let f = find(r)?;
            let ty = &f.ty;
            let t = key_type(r)?;
            (
                quote!(::core::option::Option::Some(#r)),
                quote!(::core::option::Option::Some(#t)),
                quote!(#ty),
            )
        }
        None => (
            quote!(::core::option::Option::None),
            quote!(::core::option::Option::None),
            quote!(()),
        ),
    };
    let version = match &c.version {
        Some(v) => {
            find(v)?;
            quote!(::core::option::Option::Some(#v))
        }
        None => quote!(::core::option::Option::None),
    };
    let ttl = match &c.ttl {
        Some(t) => {
            find(t)?;
            quote!(::core::option::Option::Some(#t))
        }
        None => quote!(::core::option::Option::None),
    };
    let schema_version = c.schema_version.unwrap_or(0);
    let migrate = match &c.migrate {
        Some(path) => quote! {
            fn migrate(
                item: &mut ::dynamodb_mapper::Item,
                from: u32,
            ) -> ::core::result::Result<(), ::std::string::String> {
                #path(item, from)
            }
        },
        None => quote!(),
    };
    let mut indexes = Vec::new();
    for index in &c.indexes {
        let iname = &index.name;
        let hash_part = match &index.hash {
            Some(h) => {
                let t = key_type(h)?;
                quote!(::core::option::Option::Some((#h, #t)))
            }
            None => quote!(::core::option::Option::None),
        };
        let range_part = match &index.range {
            Some(r) => {
                let t = key_type(r)?;
                quote!(::core::option::Option::Some((#r, #t)))
            }
            None => quote!(::core::option::Option::None),
        };
        let projection = match index.projection.as_deref() {
            None | Some("all") | Some("ALL") => quote!(::dynamodb_mapper::Projection::All),
            Some("keys_only") | Some("KEYS_ONLY") => {
                quote!(::dynamodb_mapper::Projection::KeysOnly)
            }
            Some(other) => match other.strip_prefix("include:") {
                Some(list) => {
                    let attrs = list.split(',').map(|s| s.trim()).filter(|s| !s.is_empty());
                    quote!(::dynamodb_mapper::Projection::Include(&[#(#attrs),*]))
                }
                None => {
                    return Err(syn::Error::new_spanned(
                        name,
                        format!(
                            "index `{iname}`: projection is \"all\", \"keys_only\" or \
                             \"include:a,b\", not \"{other}\""
                        ),
                    ))
                }
            },
        };
        let local = index.local;
        indexes.push(quote! {
            ::dynamodb_mapper::IndexSpec {
                name: #iname,
                local: #local,
                hash_key: #hash_part,
                range_key: #range_part,
                projection: #projection,
            }
        });
    }
    let vis = &input.vis;
    let fields_name = format_ident!("{}Fields", name);
    let mut field_decls: Vec<Tokens> = fields
        .iter()
        .map(|f| {
            let (ident, ty) = (&f.ident, &f.ty);
            let doc = format!("The `{}` attribute.", f.attribute);
            quote!(#[doc = #doc] pub #ident: ::dynamodb_mapper::Field<#ty>)
        })
        .collect();
    let mut field_inits: Vec<Tokens> = fields
        .iter()
        .map(|f| {
            let (ident, attr) = (&f.ident, &f.attribute);
            quote!(#ident: ::dynamodb_mapper::Field::new(#attr))
        })
        .collect();
    let discriminator = match &c.tag {
        Some(tag) if !variants.is_empty() => {
            // A handle on the discriminator, for filters on one variant, when the tag can
            // name a field (`kind`, or `r#type` for "type").
            let ident = syn::parse_str::<syn::Ident>(tag)
                .ok()
                .or_else(|| syn::parse_str::<syn::Ident>(&format!("r#{tag}")).ok());
            if let Some(ident) = ident {
                if fields.iter().any(|f| f.ident == ident) {
                    return Err(syn::Error::new_spanned(
                        name,
                        format!("the discriminator `{tag}` is also a field"),
                    ));
                }
                let doc = format!(
                    "The `{tag}` attribute: which variant an item is ({}).",
                    variants.join(", ")
                );
                field_decls.push(quote!(#[doc = #doc] pub #ident: ::dynamodb_mapper::Field<::std::string::String>));
                field_inits.push(quote!(#ident: ::dynamodb_mapper::Field::new(#tag)));
            }
            quote!(::core::option::Option::Some(#tag))
        }
        _ => quote!(::core::option::Option::None),
    };
    let key_fn = key_fn(
        name,
        vis,
        hash_field,
        c.range.as_deref().map(find).transpose()?,
    );
    let fields_doc = format!(
        "Typed handles on the attributes of [`{name}`], for conditions, filters and updates."
    );
    Ok(quote! {
        #[doc = #fields_doc]
        #[derive(Clone, Copy, Debug)]
        #[allow(dead_code)]
        #vis struct #fields_name {
            #(#field_decls,)*
        }

        impl ::dynamodb_mapper::Model for #name {
            const TABLE: &'static str = #table;
            const HASH_KEY: &'static str = #hash;
            const RANGE_KEY: ::core::option::Option<&'static str> = #range_const;
            const HASH_KEY_TYPE: ::dynamodb_mapper::ScalarType = #hash_type;
            const RANGE_KEY_TYPE: ::core::option::Option<::dynamodb_mapper::ScalarType> =
                #range_type_const;
            const VERSION_ATTRIBUTE: ::core::option::Option<&'static str> = #version;
            const SCHEMA_VERSION: u32 = #schema_version;
            const TTL_ATTRIBUTE: ::core::option::Option<&'static str> = #ttl;
            const DISCRIMINATOR: ::core::option::Option<&'static str> = #discriminator;
            const VARIANTS: &'static [&'static str] = &[#(#variants),*];
            type HashKey = #hash_ty;
            type RangeKey = #range_ty;
            type Fields = #fields_name;
            fn fields() -> #fields_name {
                #fields_name { #(#field_inits,)* }
            }
            fn indexes() -> ::std::vec::Vec<::dynamodb_mapper::IndexSpec> {
                ::std::vec![#(#indexes),*]
            }
            #migrate
        }

        #key_fn
    })
}

/// Numeric primitives are taken by value, so a literal key part (`Post::key("intro", 3)`)
/// infers its type; every other key type is taken as anything that converts into it.
fn key_param(f: &FieldInfo) -> Tokens {
    let (ident, ty) = (&f.ident, &f.ty);
    let numeric = matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.get_ident().is_some_and(|i| {
        matches!(i.to_string().as_str(), "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8"
            | "i16" | "i32" | "i64" | "i128" | "isize" | "f32" | "f64")
    }));
    if numeric {
        quote!(#ident: #ty)
    } else {
        quote!(#ident: impl ::core::convert::Into<#ty>)
    }
}

/// The model's typed `key` function: one name whatever the key's shape.
fn key_fn(
    name: &syn::Ident,
    vis: &syn::Visibility,
    hash: &FieldInfo,
    range: Option<&FieldInfo>,
) -> Tokens {
    let h = &hash.ident;
    let hp = key_param(hash);
    let hty = &hash.ty;
    match range {
        None => {
            let doc = format!(
                "The primary key of a [`{name}`]: its `{}` attribute, of the field's type.",
                hash.attribute
            );
            quote! {
                impl #name {
                    #[doc = #doc]
                    #[allow(dead_code)]
                    #vis fn key(#hp) -> ::dynamodb_mapper::Key {
                        let #h: #hty = ::core::convert::Into::into(#h);
                        ::dynamodb_mapper::Key::hash(#h)
                    }
                }
            }
        }
        Some(range) => {
            let r = &range.ident;
            let rp = key_param(range);
            let rty = &range.ty;
            let doc = format!(
                "The primary key of a [`{name}`]: its `{}` and `{}` attributes, each of its \
                 field's type.",
                hash.attribute, range.attribute
            );
            quote! {
                impl #name {
                    #[doc = #doc]
                    #[allow(dead_code)]
                    #vis fn key(#hp, #rp) -> ::dynamodb_mapper::Key {
                        let #h: #hty = ::core::convert::Into::into(#h);
                        let #r: #rty = ::core::convert::Into::into(#r);
                        ::dynamodb_mapper::Key::hash_range(#h, #r)
                    }
                }
            }
        }
    }
}
