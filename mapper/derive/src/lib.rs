//! `#[derive(Model)]`: binds a serde struct to a DynamoDB table and its key attributes.
//!
//! ```ignore
//! #[derive(Serialize, Deserialize, Model)]
//! #[dynamodb(table = "users", hash_key = "name")]
//! struct User { name: String, age: u32 }
//! ```

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, DeriveInput, LitStr};

#[proc_macro_derive(Model, attributes(dynamodb))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let name = &input.ident;
    let (mut table, mut hash, mut range) = (None, None, None);
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("dynamodb")) {
        let parsed = attr.parse_nested_meta(|meta| {
            let value: LitStr = meta.value()?.parse()?;
            if meta.path.is_ident("table") {
                table = Some(value.value());
            } else if meta.path.is_ident("hash_key") {
                hash = Some(value.value());
            } else if meta.path.is_ident("range_key") {
                range = Some(value.value());
            } else {
                return Err(meta.error("expected `table`, `hash_key` or `range_key`"));
            }
            Ok(())
        });
        if let Err(e) = parsed {
            return e.to_compile_error().into();
        }
    }
    let (Some(table), Some(hash)) = (table, hash) else {
        return syn::Error::new_spanned(
            name,
            "#[dynamodb(table = \"...\", hash_key = \"...\")] is required",
        )
        .to_compile_error()
        .into();
    };
    let range = match range {
        Some(r) => quote!(::core::option::Option::Some(#r)),
        None => quote!(::core::option::Option::None),
    };
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        impl #impl_generics ::dynamodb_mapper::Model for #name #ty_generics #where_clause {
            const TABLE: &'static str = #table;
            const HASH_KEY: &'static str = #hash;
            const RANGE_KEY: ::core::option::Option<&'static str> = #range;
        }
    }
    .into()
}
