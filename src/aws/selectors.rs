//! A trail's event selectors: read into the plain [`EventSelectors`] model and written back.
//!
//! A trail has basic or advanced selectors, never both; PutEventSelectors with one kind
//! replaces the other ("Logging management events" and PutEventSelectors, AWS CloudTrail User
//! Guide and API Reference).

use super::write::build_error;
use super::{sdk_error, Aws, AwsError};
use crate::model::{AdvancedSelector, BasicSelector, EventSelectors, FieldSelector};
use aws_sdk_cloudtrail::types::{
    AdvancedEventSelector, AdvancedFieldSelector, DataResource, EventSelector, ReadWriteType,
};

impl Aws {
    /// GetEventSelectors of a trail (name or ARN).
    pub(super) async fn event_selectors(&self, trail: &str) -> Result<EventSelectors, AwsError> {
        let out = self
            .cloudtrail
            .get_event_selectors()
            .trail_name(trail)
            .send()
            .await
            .map_err(|e| sdk_error("cloudtrail:GetEventSelectors", e))?;
        if !out.advanced_event_selectors().is_empty() {
            return Ok(EventSelectors::Advanced(
                out.advanced_event_selectors()
                    .iter()
                    .map(|s| AdvancedSelector {
                        name: s.name().map(str::to_string),
                        field_selectors: s
                            .field_selectors()
                            .iter()
                            .map(|f| FieldSelector {
                                field: f.field().to_string(),
                                equals: f.equals().to_vec(),
                                starts_with: f.starts_with().to_vec(),
                                ends_with: f.ends_with().to_vec(),
                                not_equals: f.not_equals().to_vec(),
                                not_starts_with: f.not_starts_with().to_vec(),
                                not_ends_with: f.not_ends_with().to_vec(),
                            })
                            .collect(),
                    })
                    .collect(),
            ));
        }
        Ok(EventSelectors::Basic(
            out.event_selectors()
                .iter()
                .map(|s| BasicSelector {
                    read_write_type: s
                        .read_write_type()
                        .map_or("All", |r| r.as_str())
                        .to_string(),
                    // The API's default when the field is left out.
                    include_management_events: s.include_management_events().unwrap_or(true),
                    data_resources: s
                        .data_resources()
                        .iter()
                        .map(|d| {
                            (
                                d.r#type().unwrap_or_default().to_string(),
                                d.values().to_vec(),
                            )
                        })
                        .collect(),
                    exclude_management_event_sources: s.exclude_management_event_sources().to_vec(),
                })
                .collect(),
        ))
    }

    pub(super) async fn put_event_selectors(
        &self,
        api: &str,
        trail: &str,
        selectors: &EventSelectors,
    ) -> Result<(), AwsError> {
        let request = self.cloudtrail.put_event_selectors().trail_name(trail);
        let request = match selectors {
            EventSelectors::Basic(list) => request.set_event_selectors(Some(
                list.iter()
                    .map(|s| {
                        EventSelector::builder()
                            .read_write_type(ReadWriteType::from(s.read_write_type.as_str()))
                            .include_management_events(s.include_management_events)
                            .set_data_resources(Some(
                                s.data_resources
                                    .iter()
                                    .map(|(kind, values)| {
                                        DataResource::builder()
                                            .r#type(kind)
                                            .set_values(Some(values.clone()))
                                            .build()
                                    })
                                    .collect(),
                            ))
                            .set_exclude_management_event_sources(Some(
                                s.exclude_management_event_sources.clone(),
                            ))
                            .build()
                    })
                    .collect(),
            )),
            EventSelectors::Advanced(list) => {
                let mut selectors = Vec::new();
                for s in list {
                    let mut fields = Vec::new();
                    for f in &s.field_selectors {
                        let some = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
                        fields.push(
                            AdvancedFieldSelector::builder()
                                .field(&f.field)
                                .set_equals(some(&f.equals))
                                .set_starts_with(some(&f.starts_with))
                                .set_ends_with(some(&f.ends_with))
                                .set_not_equals(some(&f.not_equals))
                                .set_not_starts_with(some(&f.not_starts_with))
                                .set_not_ends_with(some(&f.not_ends_with))
                                .build()
                                .map_err(|e| build_error(api, e))?,
                        );
                    }
                    selectors.push(
                        AdvancedEventSelector::builder()
                            .set_name(s.name.clone())
                            .set_field_selectors(Some(fields))
                            .build()
                            .map_err(|e| build_error(api, e))?,
                    );
                }
                request.set_advanced_event_selectors(Some(selectors))
            }
        };
        request
            .send()
            .await
            .map(drop)
            .map_err(|e| sdk_error(api, e))
    }
}
