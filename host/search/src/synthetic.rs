//! Deterministic synthetic game names for tests and benchmarks.

use entrepot_seeded::{Rng, XorShift64Star};

const ADJ: &[&str] = &[
    "Ancient",
    "Ember",
    "Frost",
    "Shadow",
    "Gilded",
    "Cursed",
    "Blessed",
    "Runed",
    "Savage",
    "Royal",
    "Storm",
    "Molten",
    "Hollow",
    "Radiant",
    "Withered",
    "Verdant",
    "Obsidian",
    "Crimson",
    "Azure",
    "Ashen",
    "Feral",
    "Arcane",
    "Tempered",
    "Polished",
    "Cracked",
    "Sacred",
    "Venomous",
    "Spectral",
    "Primal",
    "Lunar",
    "Solar",
    "Twilight",
    "Iron",
    "Silent",
    "Burning",
    "Thundering",
    "Elder",
    "Lost",
    "Forgotten",
    "Imperial",
    "Rustic",
    "Jagged",
    "Sunken",
    "Wild",
    "Noble",
    "Fabled",
    "Mystic",
    "Grim",
    "Bright",
    "Dire",
];
const MATERIAL: &[&str] = &[
    "Dragon",
    "Mithril",
    "Adamantite",
    "Bronze",
    "Steel",
    "Silver",
    "Golden",
    "Oak",
    "Yew",
    "Ebony",
    "Bone",
    "Crystal",
    "Jade",
    "Amber",
    "Leather",
    "Silk",
    "Wyvern",
    "Griffin",
    "Basilisk",
    "Phoenix",
    "Troll",
    "Goblin",
    "Elven",
    "Dwarven",
    "Orcish",
    "Titanium",
    "Cobalt",
    "Onyx",
    "Ruby",
    "Sapphire",
    "Emerald",
    "Obsidian",
    "Starmetal",
    "Moonstone",
    "Sunstone",
    "Kraken",
    "Hydra",
    "Manticore",
    "Wolf",
    "Bear",
];
const ITEM: &[&str] = &[
    "Scale",
    "Ingot",
    "Sword",
    "Shield",
    "Helm",
    "Gauntlets",
    "Greaves",
    "Bow",
    "Staff",
    "Wand",
    "Amulet",
    "Ring",
    "Cloak",
    "Boots",
    "Dagger",
    "Axe",
    "Hammer",
    "Spear",
    "Tome",
    "Scroll",
    "Potion",
    "Elixir",
    "Ore",
    "Hide",
    "Fang",
    "Claw",
    "Feather",
    "Heart",
    "Essence",
    "Dust",
    "Shard",
    "Gem",
    "Plate",
    "Chainmail",
    "Bracers",
    "Lantern",
    "Pickaxe",
    "Crossbow",
    "Quiver",
    "Totem",
    "Talisman",
    "Relic",
    "Banner",
    "Saddle",
    "Key",
    "Map",
    "Compass",
    "Flask",
    "Mace",
    "Halberd",
];
const SYL_A: &[&str] = &[
    "North", "South", "Iron", "Storm", "Raven", "Wolf", "Ash", "Frost", "Gold", "Black", "White", "Red", "Green", "Stone", "Thorn", "Oak", "Elm", "Brook",
    "Mar", "Kel", "Dun", "Bal", "Vel", "Tor", "Zan", "Kha", "Mor", "Eld", "Wyn", "Cael", "Bry", "Gar", "Ost", "Ul", "Yar", "Fen", "Hal", "Lor", "Nim", "Quor",
];
const SYL_B: &[&str] = &["", "a", "en", "or", "ir", "an", "el", "um", "ar", "is", "on", "eth", "ul", "ra", "os", "ath"];
const SYL_C: &[&str] = &[
    "shire", "ford", "haven", "gate", "hold", "moor", "wick", "vale", "mere", "fell", "crest", "reach", "mouth", "brook", "dale", "stead", "keep", "wood",
    "port", "spire",
];
const PLACE_NOUN: &[&str] = &["", "", "", " Harbor", " Valley", " Peaks", " Marsh", " Coast", " Isles", " Plains"];
const MASCOT: &[&str] = &[
    "Wolves",
    "Kings",
    "Dragons",
    "Ravens",
    "Titans",
    "Knights",
    "Giants",
    "Serpents",
    "Lions",
    "Hawks",
    "Wardens",
    "Raiders",
    "Golems",
    "Spectres",
    "Griffins",
    "Vipers",
    "Bears",
    "Falcons",
    "Sentinels",
    "Reapers",
    "Corsairs",
    "Druids",
    "Paladins",
    "Rangers",
    "Berserkers",
    "Hounds",
    "Stags",
    "Owls",
    "Krakens",
    "Phoenixes",
];
const EVENT: &[&str] = &[
    "Grand Tournament",
    "Arena Finals",
    "Championship",
    "Derby",
    "Cup",
    "Invitational",
    "Open",
    "Masters",
    "Regatta",
    "Joust",
    "Siege Trials",
    "Dragon Race",
    "Harvest Games",
    "Winter Clash",
];
const SUFFIX: &[&str] =
    &["of the Northern Wind", "of Embers", "of the Deep", "of Kings", "of the Fallen", "of Whispers", "of the Tides", "of Dawn", "of the Void", "of Thorns"];

fn place(r: &mut XorShift64Star) -> String {
    let mut p = String::new();
    p.push_str(r.pick(SYL_A));
    p.push_str(r.pick(SYL_B));
    p.push_str(r.pick(SYL_C));
    p.push_str(r.pick(PLACE_NOUN));
    p
}

/// `n` deterministic, realistic multi-word game names (items, matches, tournaments):
/// "Ember Dragon Scale", "Northshire Wolves vs Iron Harbor Kings", "Ancient Mithril Ingot
/// of Embers", "Kelenwick Valley Harvest Games 2031". The same `(n, seed)` always gives
/// the same list; at 300,000 names nearly all are distinct.
pub fn synthetic_names(n: usize, seed: u64) -> Vec<String> {
    let mut r = XorShift64Star::new(seed ^ 0x9E37_79B9_7F4A_7C15 | 1);
    (0..n)
        .map(|_| match r.below(10) {
            0..=3 => {
                let mut s = format!("{} {} {}", r.pick(ADJ), r.pick(MATERIAL), r.pick(ITEM));
                if r.below(3) == 0 {
                    s.push(' ');
                    s.push_str(r.pick(SUFFIX));
                }
                s
            }
            4..=6 => format!("{} {} vs {} {}", place(&mut r), r.pick(MASCOT), place(&mut r), r.pick(MASCOT)),
            7 | 8 => format!("{} {} {}", place(&mut r), r.pick(EVENT), 2020 + r.below(20)),
            _ => format!("{} {} {}", place(&mut r), r.pick(MATERIAL), r.pick(ITEM)),
        })
        .collect()
}
