//! Enums: those of `octaneenums.proto` (aliases, a negative value, generated ones), fresh random
//! enums, and the enums several files share value names with (Q10, Q11).

use std::collections::{BTreeSet, HashSet};

use anyhow::{Result, bail};

use super::{PACKAGE, Synth};
use crate::regen::model::to_upper_camel;
use crate::synth::proto::Enum;
use crate::synth::words;

impl Synth {
    /// The enums of `octaneenums.proto`: the `allow_alias` ones of Q10 with their aliases, a
    /// negative value, and many generated ones.
    pub(super) fn octane_enums(&mut self) -> Result<()> {
        let mut enums = Vec::new();
        let explicit: &[(&str, &[(&str, i32)])] = &[
            (
                "BlendMode",
                &[
                    ("BLEND_MODE_NORMAL", 0),
                    ("BLEND_MODE_ADD", 1),
                    ("BLEND_MODE_MULTIPLY", 2),
                    ("BLEND_MODE_SCREEN", 3),
                    ("BLEND_MODE_COMPOSITE_OFFSET", 1000),
                    ("BLEND_MODE_SRC", 1000),
                    ("BLEND_MODE_DST", 1001),
                ],
            ),
            (
                "HairInterpolationType",
                &[
                    ("HAIR_INTERP_LENGTH", 0),
                    ("HAIR_INTERP_DEFAULT", 0),
                    ("HAIR_INTERP_UV", 1),
                    ("HAIR_INTERP_NONE", 2),
                ],
            ),
            (
                "HairMaterialBaseColorMode",
                &[
                    ("HAIR_MATERIAL_BASE_COLOR_ALBEDO", 0),
                    ("HAIR_MATERIAL_BASE_COLOR", 0),
                    ("HAIR_MATERIAL_BASE_COLOR_MELANIN", 1),
                ],
            ),
            (
                "ImageMaskSource",
                &[
                    ("IMAGE_MASK_ALPHA", 0),
                    ("IMAGE_MASK_LUMINANCE", 1),
                    ("IMAGE_MASK_DEFAULT", 1),
                ],
            ),
            (
                "InfoChannelType",
                &[
                    ("IC_TYPE_GEOMETRIC_NORMAL", 0),
                    ("IC_TYPE_SHADING_NORMAL", 1),
                    ("IC_TYPE_POSITION", 2),
                    ("IC_TYPE_FIRST", 0),
                    ("IC_TYPE_LAST", 2),
                ],
            ),
            (
                "RenderPassGroupId",
                &[
                    ("RENDER_PASS_GROUP_BEAUTY", 0),
                    ("RENDER_PASS_GROUP_LIGHT", 1),
                    ("RENDER_PASS_GROUP_CRYPTOMATTE", 2),
                    ("RENDER_PASS_GROUP_FIRST", 0),
                    ("RENDER_PASS_GROUP_COUNT", 3),
                ],
            ),
            (
                "ResourceCategory",
                &[
                    ("RESOURCE_CATEGORY_GEOMETRY", 0),
                    ("RESOURCE_CATEGORY_TEXTURE", 1),
                    ("RESOURCE_CATEGORY_FILM", 2),
                    ("RESOURCE_CATEGORY_LAST", 2),
                ],
            ),
            (
                "KeyModifierFlag",
                &[
                    ("NO_MODIFIER", 0),
                    ("SHIFT_MODIFIER", 1),
                    ("CTRL_MODIFIER", 2),
                    ("ALT_MODIFIER", 4),
                    ("COMMAND_MODIFIER", 8),
                    ("CTRL_OR_COMMAND_MODIFIER", 8),
                ],
            ),
            (
                "ImageChannelType",
                &[
                    ("IMAGE_CHANNEL_HALF", 0),
                    ("IMAGE_CHANNEL_FLOAT", 1),
                    ("IMAGE_CHANNEL_AUTO", -1),
                ],
            ),
        ];
        for (name, values) in explicit {
            let en = Enum {
                name: (*name).to_owned(),
                allow_alias: {
                    let numbers: BTreeSet<i32> = values.iter().map(|(_, n)| *n).collect();
                    numbers.len() < values.len()
                },
                values: values.iter().map(|(v, n)| ((*v).to_owned(), *n)).collect(),
            };
            self.define_enum(PACKAGE, &en)?;
            self.enums.push(format!(".{PACKAGE}.{name}"));
            enums.push(en);
        }
        for _ in 0..142 {
            let en = self.random_enum(PACKAGE)?;
            self.enums.push(format!(".{PACKAGE}.{}", en.name));
            enums.push(en);
        }
        self.growth("octaneenums.proto").enums = enums;
        Ok(())
    }

    /// An enum with a fresh name and 2 to ~30 values, claimed in `scope`.
    pub(super) fn random_enum(&mut self, scope: &str) -> Result<Enum> {
        let name = loop {
            let candidate = format!(
                "{}{}",
                self.rng.pick(ENUM_NOUNS),
                self.rng.pick(ENUM_SUFFIXES)
            );
            if self.claim(scope, &candidate) {
                break candidate;
            }
        };
        let count = match self.rng.below(100) {
            0..45 => self.rng.range(2, 4),
            45..80 => self.rng.range(5, 8),
            80..95 => self.rng.range(9, 14),
            _ => self.rng.range(15, 30),
        };
        let words: Vec<&str> = name_words(&name);
        // Most SDK enums use short C++ prefixes (`NT_`, `P_`); some the full SCREAMING name,
        // which prost strips.
        let prefixes = [
            words
                .iter()
                .map(|w| w[..1].to_ascii_uppercase())
                .collect::<String>()
                + "_",
            words[0].to_ascii_uppercase() + "_",
            words.join("_").to_ascii_uppercase() + "_",
        ];
        let mut prefix_ix = if self.rng.percent(15) {
            2
        } else {
            self.rng.below(2)
        };
        let style = self.rng.below(100);
        let mut values = Vec::new();
        let mut variants = HashSet::new();
        let mut next = 0i32;
        let mut attempts = 0;
        while values.len() < count {
            attempts += 1;
            if attempts > 40 * count {
                // Short prefixes of other enums took these words: the full name is unique.
                prefix_ix = 2;
            }
            if attempts > 400 * count {
                bail!("no free value names for enum {name}");
            }
            let value = format!(
                "{}{}",
                prefixes[prefix_ix],
                self.rng.pick(words::ENUM_WORDS)
            );
            let variant = prost_variant(&name, &value);
            if variants.contains(&variant) || self.taken.contains(&format!("{scope}.{value}")) {
                continue;
            }
            self.taken.insert(format!("{scope}.{value}"));
            variants.insert(variant);
            values.push((value, next));
            next = match style {
                0..70 => next + 1,
                70..85 => {
                    if next == 0 {
                        1
                    } else {
                        next * 2
                    }
                }
                _ => next + self.rng.range(1, 10) as i32,
            };
        }
        Ok(Enum {
            name,
            allow_alias: false,
            values,
        })
    }
}

/// `DialogResult`, top-level and nested in `ApiModalDialog`, with the same value names.
pub(super) fn dialog_result() -> Enum {
    Enum {
        name: "DialogResult".to_owned(),
        allow_alias: false,
        values: ["CANCEL", "OK", "YES", "NO"]
            .iter()
            .zip(0..)
            .map(|(v, n)| (format!("DIALOG_RESULT_{v}"), n))
            .collect(),
    }
}

/// The values `ChangeEventType` shares with two nested `Type` enums (Q11).
pub(super) fn change_event_values() -> Vec<(String, i32)> {
    [
        "ITEM_ADDED",
        "ITEM_DELETE",
        "ITEM_VALUE_CHANGED",
        "ITEM_MOVED",
        "ITEM_RENAMED",
    ]
    .iter()
    .zip(0..)
    .map(|(v, n)| ((*v).to_owned(), n))
    .collect()
}

/// The words of an UpperCamel name (`HairInterpolationType` -> `Hair`, `Interpolation`, `Type`).
fn name_words(name: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    for (ix, ch) in name.char_indices().skip(1) {
        if ch.is_ascii_uppercase() {
            words.push(&name[start..ix]);
            start = ix;
        }
    }
    words.push(&name[start..]);
    words
}

/// The Rust variant prost derives for an enum value (prefix-stripped UpperCamel).
fn prost_variant(enum_name: &str, value: &str) -> String {
    let prefix = to_upper_camel(enum_name);
    let camel = to_upper_camel(value);
    match camel.strip_prefix(&prefix) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_uppercase()) => rest.to_owned(),
        _ => camel,
    }
}

/// First words of generated enum names.
const ENUM_NOUNS: &[&str] = &[
    "Blend",
    "Hair",
    "Image",
    "Render",
    "Texture",
    "Light",
    "Camera",
    "Geometry",
    "Volume",
    "Material",
    "Node",
    "Pin",
    "Graph",
    "Export",
    "Import",
    "Color",
    "Channel",
    "Filter",
    "Sampling",
    "Display",
    "Layer",
    "Mask",
    "Noise",
    "Kernel",
    "Denoiser",
    "Output",
    "Input",
    "Curve",
    "Gradient",
    "Shape",
    "Font",
    "Window",
    "Mouse",
    "Key",
    "Cursor",
    "Dialog",
    "Log",
    "Module",
    "Package",
    "Cloud",
    "Net",
    "Device",
    "Memory",
    "Thread",
    "Time",
    "Animation",
    "Interpolation",
    "Projection",
    "Transform",
    "Displacement",
    "Subdivision",
    "Bump",
    "Emission",
    "Medium",
    "Scatter",
    "Fog",
    "Sky",
    "Sun",
    "Environment",
    "Lens",
    "Bokeh",
    "Aperture",
    "Tonemap",
    "Lut",
    "Ocio",
    "Gamma",
    "Vignette",
    "Bloom",
    "Glare",
    "Motion",
    "Shutter",
    "Frame",
    "Tile",
    "Bucket",
    "Compression",
    "Bit",
    "Depth",
    "Alpha",
    "Vdb",
    "Mesh",
    "Particle",
];

/// Last words of generated enum names.
const ENUM_SUFFIXES: &[&str] = &[
    "Type", "Mode", "Kind", "Flag", "Source", "Format", "Order", "Policy", "Style", "Method",
    "State", "Quality", "Level", "Space", "Usage",
];
