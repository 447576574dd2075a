{% test unique_combination_of_columns(model, combination_of_columns) %}
{#- Fails with every combination of the columns that occurs more than once. -#}
with combinations as (
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
)

select * from combinations
where occurrences > 1
{% endtest %}
