//! `phasewright params`.

use phasewright::params::PARAMS;

// No options: the list is the same on every run. (A plain comment: the help text is on the variant.)
#[derive(clap::Args)]
pub struct ParamsArgs {}

impl ParamsArgs {
    pub fn run(self) -> Result<(), String> {
        let list: Vec<_> = PARAMS.iter().map(|p| p.to_json()).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
        Ok(())
    }
}
